/// Calls of user functions (issue 36). Overloads are resolved as
/// PostgreSQL does (exact types first, then implicit casts, an untyped
/// literal fits any type; 42725 when two fit as well, 42883 with its HINT
/// when none does). A simple SQL function (one SELECT) is inlined: its
/// body, with the arguments substituted, is translated in place, so
/// tables, tenants, temp tables and types behave as in a hand-written
/// query. Anything else — PL/pgSQL, an SQL function that calls itself —
/// is a call of themis_udf(), which runs the body on the same connection
/// (sql_udf_call.cpp).

#include <nlohmann/json.hpp>

#include "engine/sql/plpgsql.hpp"
#include "engine/sql/udf_internal.hpp"

namespace themis::sql::detail {

namespace {

/// SQL functions being inlined on this thread (recursion check).
std::vector<std::string>& inline_stack() {
  thread_local std::vector<std::string> s;
  return s;
}

struct inline_guard {
  explicit inline_guard(std::string k) {
    inline_stack().push_back(std::move(k));
  }
  ~inline_guard() { inline_stack().pop_back(); }
};

bool implicit_cast(uint32_t from, uint32_t to) {
  auto rank = [](uint32_t t) {
    switch (t) {
      case oid::int2:
        return 1;
      case oid::int4:
        return 2;
      case oid::int8:
        return 3;
      case oid::numeric:
        return 4;
      case oid::float4:
        return 5;
      case oid::float8:
        return 6;
      default:
        return 0;
    }
  };
  if (rank(from) && rank(to))
    return rank(from) < rank(to);
  auto stringy = [](uint32_t t) {
    return t == oid::text || t == oid::varchar || t == oid::bpchar ||
           t == oid::name;
  };
  if (stringy(from) && stringy(to))
    return true;
  if (from == oid::date && (to == oid::timestamp || to == oid::timestamptz))
    return true;
  if (from == oid::timestamp && to == oid::timestamptz)
    return true;
  return false;
}

std::string shown_types(const std::vector<expr>& args) {
  std::string s;
  for (auto& a : args)
    s += (s.empty() ? "" : ", ") +
         (a.type ? udf_type_name(a.type) : std::string("unknown"));
  return s;
}

struct resolved {
  const function_def* f = nullptr;
  std::vector<json> nodes; ///< the arguments (defaults filled in)
  std::vector<expr> args;  ///< the given ones, translated
};

resolved resolve(translator& tr, const std::string& name, const json& n,
                 scope& sc) {
  auto& b = body(n);
  resolved r;
  for (auto& a : b.value("args", json::array())) {
    if (node_type(a) == "NamedArgExpr")
      tr.unsupported("named arguments (name => value)", a);
    r.nodes.push_back(a);
    r.args.push_back(tr.tr(a, sc));
  }
  auto* list = tr.cat.find_functions(name);
  int best = -1;
  bool tie = false;
  bool procedure = false;
  if (list)
    for (auto& f : *list) {
      auto types = f.in_types();
      size_t defaults = 0;
      for (auto& a : f.args)
        defaults += a.default_node.empty() ? 0 : 1;
      if (r.args.size() > types.size() ||
          r.args.size() + defaults < types.size())
        continue;
      int score = 0;
      bool fits = true;
      for (size_t i = 0; i < r.args.size() && fits; ++i) {
        auto got = r.args[i].type;
        if (got == types[i])
          score += 4;
        else if (!got || got == oid::unknown)
          score += types[i] == oid::text ? 2 : 1; // unknown prefers text
        else if (implicit_cast(got, types[i]))
          score += 1;
        else
          fits = false;
      }
      if (!fits)
        continue;
      if (f.kind == 'p') {
        procedure = true;
        continue;
      }
      if (score > best) {
        best = score;
        r.f = &f;
        tie = false;
      } else if (score == best) {
        tie = true;
      }
    }
  int pos = location(n);
  if (!r.f && procedure)
    throw plpgsql::raised("42809",
                          name + "(" + shown_types(r.args) + ") is a procedure",
                          "", "To call a procedure, use CALL.", pos);
  if (!r.f)
    throw plpgsql::raised(
      "42883",
      "function " + name + "(" + shown_types(r.args) + ") does not exist", "",
      "No function matches the given name and argument types. You might "
      "need to add explicit type casts.",
      pos);
  if (tie)
    throw plpgsql::raised(
      "42725",
      "function " + name + "(" + shown_types(r.args) + ") is not unique", "",
      "Could not choose a best candidate function. You "
      "might need to add explicit type casts.",
      pos);
  size_t k = 0;
  for (auto& a : r.f->args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v') {
      if (k >= r.nodes.size())
        r.nodes.push_back(json::parse(a.default_node));
      ++k;
    }
  return r;
}

/// The single SELECT of an SQL function, or null if the body is more.
std::optional<json> inlinable(const function_def& f) {
  if (f.language != "sql" || f.body.empty())
    return std::nullopt;
  auto stmts = body_statements(f.body);
  if (stmts.size() != 1 || node_type(stmts[0]) != "SelectStmt")
    return std::nullopt;
  return stmts[0];
}

json a_const_int(int64_t v) {
  return {{"A_Const", {{"ival", {{"ival", v}}}}}};
}

} // namespace

json cast_node(const json& node, const std::string& type_node) {
  if (type_node.empty())
    return node;
  auto tn = json::parse(type_node);
  tn.erase("setof");
  return {{"TypeCast", {{"arg", node}, {"typeName", tn}}}};
}

json substitute_params(const json& tree, const function_def& f,
                       const std::string& fname,
                       const std::vector<json>& args) {
  std::vector<std::string> names;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      names.push_back(a.name);
  std::function<json(const json&)> walk = [&](const json& n) -> json {
    if (n.is_array()) {
      json out = json::array();
      for (auto& x : n)
        out.push_back(walk(x));
      return out;
    }
    if (!n.is_object())
      return n;
    if (n.size() == 1 && n.contains("ParamRef")) {
      auto k = n.at("ParamRef").value("number", 0);
      if (k >= 1 && static_cast<size_t>(k) <= args.size())
        return args[static_cast<size_t>(k - 1)];
      throw sql_error("42P02", "there is no parameter $" + std::to_string(k));
    }
    if (n.size() == 1 && n.contains("ColumnRef")) {
      auto fields =
        string_list(n.at("ColumnRef").value("fields", json::array()));
      std::string want;
      if (fields.size() == 1)
        want = fields[0];
      else if (fields.size() == 2 && fields[0] == fname)
        want = fields[1];
      for (size_t i = 0; !want.empty() && i < names.size(); ++i)
        if (names[i] == want && i < args.size())
          return args[i];
    }
    json out = json::object();
    for (auto& [k, v] : n.items())
      if (k != "location" && k != "stmt_location" && k != "stmt_len")
        out[k] = walk(v);
    return out;
  };
  return walk(tree);
}

expr translator::tr_user_func(const std::string& name, const json& n,
                              scope& sc) {
  if (builtin_probe()) // CREATE FUNCTION asks about the built-ins only
    throw sql_error("42883", "function " + name + "() does not exist");
  auto r = resolve(*this, name, n, sc);
  auto& f = *r.f;
  if (f.ret_type == fn_type::trigger)
    throw sql_error("0A000", "trigger functions can only be called as triggers",
                    location(n));
  if (f.retset)
    unsupported("the set-returning function " + name +
                  "() outside FROM (use SELECT * FROM " + name + "(…))",
                n);
  std::vector<json> cast_args;
  size_t k = 0;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      cast_args.push_back(cast_node(r.nodes[k++], a.type_node));
  std::vector<expr> targs; // the arguments as passed (STRICT, themis_udf)
  for (auto& c : cast_args)
    targs.push_back(tr(c, sc));
  auto key = f.key();
  bool recursive = false;
  for (auto& s : inline_stack())
    recursive = recursive || s == key;
  std::optional<json> sel;
  if (!recursive && static_cast<int>(inline_stack().size()) < max_inline_depth)
    sel = inlinable(f);
  expr out;
  if (sel) {
    inline_guard g(key);
    auto q = substitute_params(*sel, f, name, cast_args);
    auto& qs = body(q);
    static const char* clauses[] = {
      "fromClause",  "whereClause", "groupClause", "havingClause",
      "sortClause",  "limitCount",  "withClause",  "distinctClause",
      "valuesLists", "larg"};
    bool plain = qs.contains("targetList") && qs.at("targetList").size() == 1;
    for (auto* c : clauses)
      plain = plain && !qs.contains(c);
    json e;
    if (plain) {
      e = body(qs.at("targetList")[0]).at("val");
    } else {
      // the first row, as PostgreSQL returns from a non-SETOF function
      if (!qs.contains("limitCount") && !qs.contains("larg"))
        q.begin().value()["limitCount"] = a_const_int(1);
      e = {{"SubLink", {{"subLinkType", "EXPR_SUBLINK"}, {"subselect", q}}}};
    }
    if (f.ret_type != fn_type::void_t && f.ret_type != fn_type::record)
      e = cast_node(e, f.ret_node);
    out = tr(e, sc);
    if (f.ret_type == fn_type::void_t)
      out = {"''", fn_type::void_t};
  } else {
    json ctx = {{"ns", info.ns},
                {"all", info.all_namespaces},
                {"temp", info.temp_ns},
                {"user", info.user},
                {"db", info.database}};
    std::string call =
      "themis_udf(" + quote_literal(ctx.dump()) + ", " + quote_literal(key);
    for (auto& a : targs)
      call += ", " + a.sql;
    call += ")";
    if (f.ret_type == fn_type::void_t)
      out = {"CASE WHEN " + call + " IS NULL THEN '' ELSE '' END",
             fn_type::void_t};
    else
      out = {cast_to({call, oid::text}, f.ret_type), f.ret_type};
  }
  if (f.strict && !targs.empty()) {
    std::string any;
    for (auto& a : targs)
      any += (any.empty() ? "" : " OR ") + ("(" + a.sql + ") IS NULL");
    out.sql = "(CASE WHEN " + any + " THEN NULL ELSE " + out.sql + " END)";
  }
  return out;
}

std::optional<std::string> translator::user_func_from(const json& node,
                                                      const json& call,
                                                      const std::string& fname,
                                                      scope& sc) {
  if (!cat.find_functions(fname))
    return std::nullopt;
  scope probe;
  probe.parent = &sc;
  auto r = resolve(*this, fname, call, probe);
  auto& f = *r.f;
  if (!f.retset)
    return std::nullopt; // one value: scalar_in_from calls it
  auto sel = inlinable(f);
  if (!sel)
    unsupported("the set-returning " + f.language + " function " + fname +
                  "() (only SQL functions with one SELECT are inlined)",
                node);
  std::vector<json> cast_args;
  size_t k = 0;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      cast_args.push_back(cast_node(r.nodes[k++], a.type_node));
  inline_guard g(f.key());
  auto q = substitute_params(*sel, f, fname, cast_args);
  auto& b = body(node);
  json alias = {{"aliasname", b.contains("alias")
                                ? b.at("alias").value("aliasname", fname)
                                : fname}};
  json cols = json::array();
  for (auto& a : f.args)
    if (a.mode == 't' || a.mode == 'o')
      cols.push_back({{"String", {{"sval", a.name}}}});
  if (cols.empty() && f.ret_type != fn_type::record && type_name(f.ret_type) &&
      std::string(type_name(f.ret_type)) != "unknown")
    cols.push_back({{"String", {{"sval", alias.at("aliasname")}}}});
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    cols = b.at("alias").at("colnames");
  // the names go on the select's own targets (the leftmost arm of a
  // UNION): renaming through alias columns would confuse two unnamed
  // targets (`SELECT 1, 'x'`: both "?column?")
  json* arm = &q.begin().value();
  while (arm->contains("larg"))
    arm = (*arm)["larg"].contains("SelectStmt")
            ? &(*arm)["larg"]["SelectStmt"]
            : &(*arm)["larg"]; // unwrapped in the parse tree
  bool named = arm->contains("targetList");
  if (named)
    for (auto& t : (*arm)["targetList"]) {
      auto& rt = body(t);
      if (!rt.contains("val") || node_type(rt.at("val")) != "ColumnRef")
        continue;
      auto fields = body(rt.at("val")).value("fields", json::array());
      if (!fields.empty() && fields.back().contains("A_Star"))
        named = false; // SELECT *: the alias renames
    }
  if (named && !cols.empty() && (*arm)["targetList"].size() == cols.size()) {
    size_t i = 0;
    for (auto& t : (*arm)["targetList"])
      t.begin().value()["name"] = sval(cols[i++]);
  } else if (!cols.empty()) {
    alias["colnames"] = cols;
  }
  json sub = {{"RangeSubselect", {{"subquery", q}, {"alias", alias}}}};
  return tr_from_item(sub, sc);
}

} // namespace themis::sql::detail
