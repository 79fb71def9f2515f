/// How PostgreSQL prints a user function (pg_get_function_arguments,
/// pg_get_function_result, pg_get_functiondef; issue 36), so that psql's
/// \df / \sf and pg_dump see what PostgreSQL 15 would show.

#include <nlohmann/json.hpp>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_udf.hpp"

namespace themis::sql {

std::string udf_type_name(uint32_t type, const std::string& type_node) {
  switch (type) {
    case fn_type::void_t:
      return "void";
    case fn_type::trigger:
      return "trigger";
    case fn_type::record:
      return "record";
    default:
      break;
  }
  auto n = type_name(type);
  if (n && std::string(n) != "unknown")
    return n;
  // a table's row type or an enum: the name it was declared with
  auto j =
    nlohmann::json::parse(type_node.empty() ? "{}" : type_node, nullptr, false);
  if (j.is_object() && j.contains("names") && !j.at("names").empty()) {
    auto& last = j.at("names").back();
    if (last.contains("String"))
      return last.at("String").value("sval", "unknown");
  }
  return n ? n : "unknown";
}

namespace {

std::string arg_text(const function_arg& a, bool with_default, bool procedure) {
  std::string s;
  if (a.mode == 'i' && procedure)
    s += "IN ";
  else if (a.mode == 'o')
    s += "OUT ";
  else if (a.mode == 'b')
    s += "INOUT ";
  else if (a.mode == 'v')
    s += "VARIADIC ";
  if (!a.name.empty())
    s += a.name + " ";
  s += udf_type_name(a.type, a.type_node);
  if (with_default && !a.default_text.empty())
    s += " DEFAULT " + a.default_text;
  return s;
}

} // namespace

std::string function_arguments(const function_def& f) {
  std::string s;
  for (auto& a : f.args)
    if (a.mode != 't')
      s += (s.empty() ? "" : ", ") + arg_text(a, true, f.kind == 'p');
  return s;
}

std::string function_identity_arguments(const function_def& f) {
  std::string s;
  for (auto& a : f.args)
    if (a.mode != 't' && (a.mode != 'o' || f.kind == 'p'))
      s += (s.empty() ? "" : ", ") + arg_text(a, false, f.kind == 'p');
  return s;
}

std::string function_signature_types(const function_def& f) {
  std::string s;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      s += (s.empty() ? "" : ", ") + udf_type_name(a.type, a.type_node);
  return s;
}

std::string function_result(const function_def& f) {
  if (f.kind == 'p')
    return "";
  std::string table;
  for (auto& a : f.args)
    if (a.mode == 't')
      table += (table.empty() ? "" : ", ") + a.name + " " +
               udf_type_name(a.type, a.type_node);
  if (!table.empty())
    return "TABLE(" + table + ")";
  return (f.retset ? "SETOF " : "") + udf_type_name(f.ret_type, f.ret_node);
}

std::string plpgsql_source(const function_def& f) {
  std::string params;
  int n = 0;
  for (auto& a : f.args) {
    ++n;
    if (a.mode == 't')
      continue;
    params += (params.empty() ? "" : ", ");
    if (a.mode == 'o')
      params += "OUT ";
    else if (a.mode == 'b')
      params += "INOUT ";
    params += (a.name.empty() ? "p" + std::to_string(n) + "_" : a.name) + " " +
              udf_type_name(a.type, a.type_node);
  }
  std::string tag = "$themis_fn$";
  for (int i = 0; f.body.find(tag) != std::string::npos; ++i)
    tag = "$themis_fn" + std::to_string(i) + "$";
  std::string ret = f.kind == 'p' ? "" : " RETURNS " + function_result(f);
  return std::string("CREATE ") + (f.kind == 'p' ? "PROCEDURE" : "FUNCTION") +
         " themis_fn(" + params + ")" + ret + " LANGUAGE plpgsql AS " + tag +
         f.body + tag;
}

std::string function_definition(const function_def& f,
                                const std::string& local_name) {
  std::string s = std::string("CREATE OR REPLACE ") +
                  (f.kind == 'p' ? "PROCEDURE" : "FUNCTION") + " public." +
                  local_name + "(" + function_arguments(f) + ")\n";
  if (f.kind != 'p')
    s += " RETURNS " + function_result(f) + "\n";
  s += " LANGUAGE " + f.language + "\n";
  if (f.volatility == 'i')
    s += " IMMUTABLE";
  else if (f.volatility == 's')
    s += " STABLE";
  if (f.strict)
    s += " STRICT";
  if (f.security_definer)
    s += " SECURITY DEFINER";
  if (f.leakproof)
    s += " LEAKPROOF";
  if (f.parallel == 's')
    s += " PARALLEL SAFE";
  else if (f.parallel == 'r')
    s += " PARALLEL RESTRICTED";
  if (s.back() != '\n')
    s += "\n";
  for (auto& c : f.config) {
    auto eq = c.find('=');
    s += " SET " + c.substr(0, eq) + " TO '" +
         (eq == std::string::npos ? "" : c.substr(eq + 1)) + "'\n";
  }
  std::string tag = "$function$";
  for (int i = 0; f.body.find(tag) != std::string::npos; ++i)
    tag = "$function" + std::to_string(i) + "$";
  s += "AS " + tag + f.body + tag + "\n";
  return s;
}

} // namespace themis::sql
