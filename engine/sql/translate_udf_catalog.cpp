/// pg_get_function_arguments, pg_get_function_identity_arguments,
/// pg_get_function_result and pg_get_functiondef of user functions
/// (issue 36): generated from the catalog, looked up by the oid, as
/// pg_get_indexdef is (psql's \df, \sf and pg_dump call them).

#include "engine/sql/udf_internal.hpp"

namespace themis::sql::detail {

std::optional<expr> udf_catalog_call(const catalog& cat,
                                     const std::string& name,
                                     const std::vector<expr>& args) {
  enum { arguments, identity, result, definition } what;
  if (name == "pg_get_function_arguments")
    what = arguments;
  else if (name == "pg_get_function_identity_arguments")
    what = identity;
  else if (name == "pg_get_function_result")
    what = result;
  else if (name == "pg_get_functiondef")
    what = definition;
  else
    return std::nullopt;
  if (args.empty())
    throw sql_error("42883", "function " + name + "() does not exist");
  std::string out = "CASE " + args[0].sql;
  for (auto& [local, list] : cat.functions())
    for (auto& f : list) {
      std::string text;
      switch (what) {
        case arguments:
          text = function_arguments(f);
          break;
        case identity:
          text = function_identity_arguments(f);
          break;
        case result:
          if (f.kind == 'p')
            continue; // NULL for a procedure
          text = function_result(f);
          break;
        case definition:
          text = function_definition(f, local);
          break;
      }
      out += " WHEN " + std::to_string(f.oid) + " THEN " + quote_literal(text);
    }
  // a built-in: what the helper function answered before (NULL)
  if (out.find(" WHEN ") == std::string::npos)
    return expr{"NULL", oid::text};
  out += " ELSE NULL END";
  return expr{out, oid::text};
}

} // namespace themis::sql::detail

namespace themis::sql::detail {

namespace {

std::string trim(const std::string& s) {
  auto a = s.find_first_not_of(" \t\n");
  auto b = s.find_last_not_of(" \t\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string unquote(std::string s) {
  s = trim(s);
  if (s.rfind("public.", 0) == 0 || s.rfind("pg_catalog.", 0) == 0)
    s = s.substr(s.find('.') + 1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
    return s.substr(1, s.size() - 2);
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

} // namespace

std::optional<expr> udf_regproc_cast(const catalog& cat, const json& cast) {
  auto names = string_list(cast.at("typeName").value("names", json::array()));
  auto tn = names.empty() ? "" : names.back();
  if (tn != "regproc" && tn != "regprocedure")
    return std::nullopt;
  auto& arg = cast.at("arg");
  if (node_type(arg) != "A_Const" || !body(arg).contains("sval"))
    return std::nullopt; // a number: regproc keeps it (translate_expr.cpp)
  auto text = body(arg).at("sval").value("sval", "");
  int pos = location(arg);
  if (!text.empty() &&
      text.find_first_not_of("0123456789") == std::string::npos)
    return expr{text, oid::regproc};
  auto paren = text.find('(');
  auto name = unquote(text.substr(0, paren));
  auto* list = cat.find_functions(name);
  if (tn == "regproc" || paren == std::string::npos) {
    if (!list)
      throw sql_error("42883", "function \"" + text + "\" does not exist", pos);
    if (list->size() > 1)
      throw sql_error("42725", "more than one function named \"" + text + "\"",
                      pos);
    return expr{std::to_string(list->front().oid), oid::regproc};
  }
  // name(type, …): the overload with exactly these input types
  std::vector<uint32_t> types;
  auto inner = text.substr(paren + 1, text.rfind(')') - paren - 1);
  size_t start = 0;
  while (!trim(inner).empty() && start <= inner.size()) {
    auto comma = inner.find(',', start);
    auto part = unquote(inner.substr(start, comma - start));
    auto t = type_by_name(part);
    if (!t)
      if (auto* e = cat.find_enum(part))
        t = e->oid;
    if (!t)
      throw sql_error("42704", "type \"" + part + "\" does not exist", pos);
    types.push_back(t);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (list)
    for (auto& f : *list)
      if (f.in_types() == types)
        return expr{std::to_string(f.oid), oid::regproc};
  throw sql_error("42883", "function \"" + text + "\" does not exist", pos);
}

} // namespace themis::sql::detail
