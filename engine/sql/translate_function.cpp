/// CREATE [OR REPLACE] FUNCTION / PROCEDURE, DROP, ALTER … RENAME / OWNER
/// / attributes, and CALL (issue 36). A definition is validated as
/// PostgreSQL does with check_function_bodies on: an SQL body is parsed and
/// translated (its parameters as typed NULLs), a PL/pgSQL body parsed.

#include <pg_query.h>

#include "engine/sql/plpgsql.hpp"
#include "engine/sql/udf_internal.hpp"

namespace themis::sql::detail {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

char mode_of(const std::string& m) {
  if (m == "FUNC_PARAM_OUT")
    return 'o';
  if (m == "FUNC_PARAM_INOUT")
    return 'b';
  if (m == "FUNC_PARAM_VARIADIC")
    return 'v';
  if (m == "FUNC_PARAM_TABLE")
    return 't';
  return 'i';
}

} // namespace

std::string routine_name(const json& names) {
  auto parts = string_list(names);
  if (parts.size() > 1 && parts[parts.size() - 2] != "public")
    throw sql_error("3F000", "schema \"" + parts[parts.size() - 2] +
                               "\" does not exist");
  return parts.empty() ? "" : parts.back();
}

namespace {

bool probe_builtin(translator& tr, const std::string& name, size_t nargs) {
  // a call with NULL arguments: the built-ins either take it or fail in
  // their own way; only an unknown name reaches the user-function look-up
  json args = json::array();
  for (size_t i = 0; i < nargs; ++i)
    args.push_back({{"A_Const", {{"isnull", true}}}});
  json call = {{"FuncCall",
                {{"funcname", json::array({{{"String", {{"sval", name}}}}})},
                 {"args", args}}}};
  scope sc;
  builtin_probe() = true;
  bool builtin = true;
  try {
    tr.tr(call, sc);
  } catch (const sql_error& e) {
    builtin = !(e.sqlstate() == "42883" &&
                std::string(e.what()).rfind("function " + name + "(", 0) == 0);
  } catch (...) {
  }
  builtin_probe() = false;
  return builtin;
}

} // namespace

bool& builtin_probe() {
  thread_local bool probing = false;
  return probing;
}

std::vector<json> body_statements(const std::string& body) {
  std::vector<json> out;
  for (auto& ps : parse_sql(body))
    out.push_back(*static_cast<const json*>(ps.tree.get()));
  return out;
}

namespace {

/// Reads the parameters, return type and options of a CREATE statement.
function_def read_definition(translator& tr, const json& b,
                             const std::string& name) {
  function_def f;
  f.name = tr.info.ns + name;
  f.kind = b.value("is_procedure", false) ? 'p' : 'f';
  bool seen_default = false;
  for (auto& p : b.value("parameters", json::array())) {
    auto& pb = body(p);
    function_arg a;
    a.name = pb.value("name", "");
    a.mode = mode_of(pb.value("mode", ""));
    auto& tn = pb.at("argType");
    a.type = tn.contains("pct_type")
               ? throw sql_error("0A000", "%TYPE in function arguments is "
                                          "not supported")
               : tr.type_of_typename(tn);
    if (tn.contains("setof"))
      throw sql_error("42P13", "functions cannot accept set arguments");
    a.type_node = tn.dump();
    if (!a.name.empty())
      for (auto& other : f.args)
        if (other.name == a.name &&
            (other.mode == 'o') == (a.mode == 'o' || a.mode == 't'))
          throw sql_error("42P13", "parameter name \"" + a.name +
                                     "\" used more than once");
    if (pb.contains("defexpr")) {
      if (a.mode == 'o' || a.mode == 't')
        throw sql_error("42P13",
                        "only input parameters can have default values");
      a.default_node = pb.at("defexpr").dump();
      a.default_text = tr.default_text(pb.at("defexpr"), a.type);
      seen_default = true;
    } else if (seen_default &&
               (a.mode == 'i' || a.mode == 'b' || a.mode == 'v'))
      throw sql_error("42P13", "input parameters after one with a default "
                               "value must also have defaults");
    if (a.mode == 'v')
      throw sql_error("0A000", "VARIADIC parameters are not supported");
    f.args.push_back(std::move(a));
  }
  std::vector<const function_arg*> outs;
  for (auto& a : f.args)
    if (a.mode == 'o' || a.mode == 'b' || a.mode == 't')
      outs.push_back(&a);
  if (b.contains("returnType")) {
    auto& rt = b.at("returnType");
    auto rn = string_list(rt.value("names", json::array()));
    auto last = rn.empty() ? "" : lower(rn.back());
    f.retset = rt.value("setof", false);
    json plain = rt;
    plain.erase("setof");
    f.ret_node = plain.dump();
    if (last == "void")
      f.ret_type = fn_type::void_t;
    else if (last == "trigger")
      f.ret_type = fn_type::trigger;
    else if (last == "record")
      f.ret_type = fn_type::record;
    else if (auto* t = tr.cat.find(rn.empty() ? "" : rn.back()))
      f.ret_type = t->oid; // a table's row type (SETOF t)
    else
      f.ret_type = tr.type_of_typename(rt);
  } else if (f.kind == 'p') {
    f.ret_type = fn_type::void_t;
  } else if (outs.size() == 1) {
    f.ret_type = outs[0]->type;
    f.ret_node = outs[0]->type_node;
  } else if (outs.size() > 1) {
    f.ret_type = fn_type::record;
  } else {
    throw sql_error("42P13", "function result type must be specified");
  }
  if (f.ret_type == fn_type::record && !f.retset && outs.size() > 1)
    throw sql_error("0A000", "functions with several OUT parameters (a "
                             "record result) are not supported");
  for (auto& o : b.value("options", json::array())) {
    auto& d = body(o);
    auto key = d.value("defname", "");
    auto& arg = d.contains("arg") ? d.at("arg") : json();
    auto str = [&] { return arg.is_null() ? "" : lower(sval(arg)); };
    auto flag = [&] {
      return !arg.is_null() && body(arg).value("boolval", false);
    };
    if (key == "language")
      f.language = str();
    else if (key == "volatility")
      f.volatility = str() == "immutable" ? 'i' : str() == "stable" ? 's' : 'v';
    else if (key == "strict")
      f.strict = flag();
    else if (key == "security")
      f.security_definer = flag();
    else if (key == "leakproof")
      f.leakproof = flag();
    else if (key == "parallel")
      f.parallel = str() == "safe" ? 's' : str() == "restricted" ? 'r' : 'u';
    else if (key == "cost" || key == "rows") {
      double v = 0;
      if (!arg.is_null() && node_type(arg) == "Integer")
        v = body(arg).value("ival", 0);
      else if (!arg.is_null() && node_type(arg) == "Float")
        v = std::stod(body(arg).value("fval", "0"));
      (key == "cost" ? f.cost : f.rows) = v;
    } else if (key == "set") {
      auto& vs = body(arg);
      std::string v;
      for (auto& a : vs.value("args", json::array()))
        if (node_type(a) == "A_Const") {
          auto& c = body(a);
          v += (v.empty() ? "" : ", ") +
               (c.contains("sval") ? c.at("sval").value("sval", "")
                : c.contains("ival")
                  ? std::to_string(c.at("ival").value("ival", 0))
                  : std::string());
        }
      f.config.push_back(vs.value("name", "") + "=" + v);
    } else if (key == "as") {
      auto items = string_list(list_items(arg));
      if (items.size() != 1)
        throw sql_error("0A000", "functions in C (AS 'file', 'symbol') are "
                                 "not supported");
      f.body = items[0];
    } else if (key == "window") {
      throw sql_error("0A000", "window functions are not supported");
    } else if (key == "support") {
      throw sql_error("0A000", "SUPPORT functions are not supported");
    }
  }
  if (f.retset && f.rows == 0)
    f.rows = 1000;
  if (b.contains("sql_body")) { // BEGIN ATOMIC … END
    if (f.language.empty())
      f.language = "sql";
    throw sql_error("0A000", "BEGIN ATOMIC function bodies are not supported "
                             "(use AS $$ … $$)");
  }
  if (f.language.empty())
    throw sql_error("42P13", "no language specified");
  if (f.language != "sql" && f.language != "plpgsql") {
    if (f.language == "c" || f.language == "internal" ||
        f.language == "plpython3u" || f.language == "plperl")
      throw sql_error("0A000", "LANGUAGE " + f.language +
                                 " is not supported "
                                 "(sql and plpgsql are)");
    throw sql_error("42704", "language \"" + f.language + "\" does not exist");
  }
  if (f.ret_type == fn_type::trigger) {
    if (f.language == "sql")
      throw sql_error("42P13", "SQL functions cannot return type trigger");
    if (!f.in_types().empty())
      throw plpgsql::raised("42P13",
                            "trigger functions cannot have declared "
                            "arguments",
                            "",
                            "The arguments of the trigger can be accessed "
                            "through TG_NARGS and TG_ARGV instead.");
  }
  return f;
}

bool off(const session_info& info, const char* setting) {
  auto it = info.settings.find(setting);
  if (it == info.settings.end())
    return false;
  auto v = lower(it->second);
  return v == "off" || v == "false" || v == "0" || v == "no";
}

int category(uint32_t t) {
  switch (t) {
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::float4:
    case oid::float8:
    case oid::numeric:
    case oid::oid_t:
      return 1;
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
      return 2;
    case oid::boolean:
      return 3;
    case oid::json:
    case oid::jsonb:
      return 4;
    default:
      return 0; // others: not checked
  }
}

/// check_function_bodies: an SQL body parses and translates (its
/// parameters typed NULLs), its last statement returns what the function
/// does; a PL/pgSQL body parses.
void validate_body(translator& tr, const function_def& f,
                   const std::string& local) {
  if (off(tr.info, "check_function_bodies"))
    return;
  if (f.language == "plpgsql") {
    auto r = pg_query_parse_plpgsql(plpgsql_source(f).c_str());
    std::string err = r.error && r.error->message ? r.error->message : "";
    bool failed = r.error != nullptr;
    pg_query_free_plpgsql_parse_result(r);
    if (failed)
      throw sql_error("42601", err.empty() ? "syntax error" : err);
    return;
  }
  std::vector<json> stmts;
  try {
    stmts = body_statements(f.body);
  } catch (const sql_error& e) { // its position is in the body, not ours
    throw sql_error(e.sqlstate(), e.what());
  }
  catalog with = tr.cat; // the function may call itself
  with.put_function(f);
  std::vector<json> nulls;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      nulls.push_back(
        cast_node({{"A_Const", {{"isnull", true}}}}, a.type_node));
  statement last;
  for (auto& s : stmts) {
    parsed_statement ps;
    ps.tree = std::make_shared<json>(substitute_params(s, f, local, nulls));
    ps.text = f.body;
    try {
      last = translate(ps, with, tr.info);
    } catch (const sql_error& e) {
      throw sql_error(e.sqlstate(), e.what());
    }
  }
  if (f.ret_type == fn_type::void_t || f.kind == 'p')
    return;
  std::string want = "return type mismatch in function declared to return " +
                     udf_type_name(f.ret_type, f.ret_node);
  if (stmts.empty() || !last.returns_rows)
    throw plpgsql::raised("42P13", want,
                          "Function's final statement must be SELECT or "
                          "INSERT/UPDATE/DELETE RETURNING.",
                          "");
  bool table_result = false;
  for (auto& a : f.args)
    table_result = table_result || a.mode == 't' || a.mode == 'o';
  if (table_result || last.columns.empty() || f.ret_type == fn_type::record ||
      last.columns.size() != 1)
    return;
  auto& sel = body(stmts.back());
  auto targets = sel.value("targetList", json::array());
  if (!targets.empty() &&
      node_type(body(targets[0]).value("val", json::object())) == "A_Const")
    return; // an untyped literal: coerced as PostgreSQL does
  auto got = last.columns[0].type_oid;
  int a = category(got), w = category(f.ret_type);
  if (a && w && a != w)
    throw plpgsql::raised(
      "42P13", want, "Actual return type is " + udf_type_name(got) + ".", "");
}

} // namespace

std::string hint_signature(const std::string& local, const function_def& f) {
  std::string s;
  for (auto t : f.in_types())
    s += (s.empty() ? "" : ",") + udf_type_name(t);
  return local + "(" + s + ")";
}

const function_def* find_exact(const catalog& cat, const std::string& name,
                               const std::vector<uint32_t>& types) {
  auto* list = cat.find_functions(name);
  if (!list)
    return nullptr;
  for (auto& f : *list)
    if (f.in_types() == types)
      return &f;
  return nullptr;
}

namespace {

statement create_function(translator& tr, const json& b) {
  auto name = routine_name(b.at("funcname"));
  if (name.find('.') != std::string::npos || name.empty())
    throw sql_error("42602", "invalid function name \"" + name + "\"");
  auto f = read_definition(tr, b, name);
  f.oid = function_oid(f.key());
  bool replace = b.value("replace", false);
  statement st;
  st.kind = stmt_kind::function_ddl;
  st.writes = true;
  st.tag = f.kind == 'p' ? "CREATE PROCEDURE" : "CREATE FUNCTION";
  st.local = replace;
  auto* old = find_exact(tr.cat, name, f.in_types());
  if (old) {
    if (!replace)
      throw sql_error("42723", std::string(routine_word(*old)) + " \"" + name +
                                 "\" already exists with same argument types");
    auto hint = "Use DROP " +
                std::string(old->kind == 'p' ? "PROCEDURE " : "FUNCTION ") +
                hint_signature(name, *old) + " first.";
    if (old->kind != f.kind)
      throw plpgsql::raised(
        "42809", "cannot change routine kind",
        std::string("\"") + name + "\" is a " + routine_word(*old) + ".", "");
    if (old->ret_type != f.ret_type || old->retset != f.retset)
      throw plpgsql::raised(
        "42P13", "cannot change return type of existing function", "", hint);
    size_t i = 0, j = 0;
    for (; i < old->args.size() && j < f.args.size(); ++i, ++j)
      if (!old->args[i].name.empty() && old->args[i].name != f.args[j].name &&
          old->args[i].mode != 'o' && old->args[i].mode != 't')
        throw plpgsql::raised("42P13",
                              "cannot change name of input "
                              "parameter \"" +
                                old->args[i].name + "\"",
                              "", hint);
  } else if (!tr.cat.find_functions(name) &&
             probe_builtin(tr, name, f.in_types().size())) {
    // the built-in would be called, not this one: refused rather than
    // silently ignored
    throw sql_error("42723", std::string(routine_word(f)) + " \"" + name +
                               "\" already exists as a built-in function "
                               "(themisd does not overload built-in "
                               "functions)");
  }
  validate_body(tr, f, name);
  st.val = json::array({to_json(f)}).dump();
  return st;
}

} // namespace

std::optional<statement> translator::tr_function_ddl(const std::string& type,
                                                     const json& n) {
  if (type == "CreateFunctionStmt")
    return create_function(*this, body(n));
  return tr_routine_utility(*this, type, n); // translate_function_alter.cpp
}

} // namespace themis::sql::detail
