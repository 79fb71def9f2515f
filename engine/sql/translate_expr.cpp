#include <cerrno>
#include <cstdlib>
#include <unordered_map>

#include "engine/sql/catalog_functions.hpp"
#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/translate_internal.hpp"
#include "engine/sql/udf_internal.hpp"
#include "engine/stack_guard.hpp"

namespace themis::sql::detail {

const std::string& node_type(const json& n) {
  if (!n.is_object() || n.empty())
    throw sql_error("0A000", "unexpected empty node in the statement");
  return n.begin().key();
}

const json& body(const json& n) {
  if (!n.is_object() || n.empty())
    throw sql_error("0A000", "unexpected empty node in the statement");
  return n.begin().value();
}

std::string sval(const json& n) {
  if (n.contains("String"))
    return n.at("String").value("sval", "");
  if (n.contains("A_Star"))
    return "*";
  return "";
}

std::vector<std::string> string_list(const json& list) {
  std::vector<std::string> out;
  if (list.is_array())
    for (auto& x : list)
      out.push_back(sval(x));
  return out;
}

const json& list_items(const json& n) {
  if (n.is_object() && n.contains("List"))
    return n.at("List").at("items");
  return n;
}

int location(const json& n) {
  if (!n.is_object() || n.empty())
    return 0;
  auto& b = n.begin().value();
  if (b.is_object() && b.contains("location"))
    return b.at("location").get<int>() + 1;
  return 0;
}

void translator::unsupported(const std::string& what, const json& node) {
  throw sql_error("0A000", what + " is not supported", location(node));
}

std::string translator::cast_to(const expr& e, uint32_t type) {
  return "themis_cast(" + e.sql + ", " + std::to_string(type) + ")";
}

uint32_t translator::type_of_typename(const json& tn) {
  auto names = string_list(tn.value("names", json::array()));
  std::string n = names.empty() ? "" : names.back();
  auto oid = type_by_name(n);
  if (!oid && !n.empty() && n[0] == '_') // pg_type's names: _int4, _text
    oid = array_type_by_short_name(n);
  if (!oid) // a user-defined enum type (engine/sql/pg_enum.hpp)
    if (auto* e = cat.find_enum(n))
      oid = e->oid;
  if (!oid)
    throw sql_error("42704", "type \"" + n + "\" does not exist",
                    tn.value("location", -1) + 1);
  if (tn.contains("arrayBounds")) { // int[], int[3][3]: an array of it
    if (tn.at("arrayBounds").size() > static_cast<size_t>(max_array_dims))
      throw sql_error("54000",
                      "number of array dimensions (" +
                        std::to_string(tn.at("arrayBounds").size()) +
                        ") exceeds the maximum allowed (6)",
                      tn.value("location", -1) + 1);
    auto arr = is_array_type(oid) ? oid : array_type_of(oid);
    if (!arr)
      throw sql_error("0A000",
                      std::string("arrays of type ") + type_name(oid) +
                        " are not supported",
                      tn.value("location", -1) + 1);
    return arr;
  }
  return oid;
}

int32_t translator::numeric_typmod(const json& tn) {
  if (!tn.contains("typmods"))
    return -1;
  std::vector<int64_t> mods;
  for (auto& m : tn.at("typmods")) {
    if (node_type(m) != "A_Const" || !body(m).contains("ival"))
      throw sql_error("22023", "invalid NUMERIC type modifier",
                      tn.value("location", -1) + 1);
    mods.push_back(int_at(body(m)));
  }
  return num::typmod_in(mods);
}

void translator::hint_param(const json& node, uint32_t type) {
  if (!type || node_type(node) != "ParamRef")
    return;
  auto n = body(node).value("number", 0);
  if (n <= 0 || n > 65535)
    return; // tr() reports the bad number
  if (params.size() < static_cast<size_t>(n))
    params.resize(static_cast<size_t>(n), 0);
  if (!params[static_cast<size_t>(n - 1)])
    params[static_cast<size_t>(n - 1)] = type;
}

int64_t translator::int_at(const json& b) {
  auto& iv = b.at("ival");
  if (iv.contains("ival"))
    return iv.at("ival").get<int64_t>();
  // libpg_query 15-4.0's JSON leaves out negative integers as it leaves out
  // zero: read the literal from the query text at the node's location
  auto loc = b.value("location", -1);
  if (!source || loc < 0 || static_cast<size_t>(loc) >= source->size())
    return 0;
  size_t i = static_cast<size_t>(loc);
  bool neg = false;
  while (i < source->size() &&
         ((*source)[i] == '-' || (*source)[i] == ' ' || (*source)[i] == '\t' ||
          (*source)[i] == '\n' || (*source)[i] == '(')) {
    if ((*source)[i] == '-')
      neg = !neg;
    ++i;
  }
  int64_t v = 0;
  while (i < source->size() && (*source)[i] >= '0' && (*source)[i] <= '9' &&
         v < INT64_MAX / 10)
    v = v * 10 + ((*source)[i++] - '0');
  return neg ? -v : v;
}

expr translator::tr_const(const json& b) {
  if (b.value("isnull", false))
    return {"NULL", 0};
  if (b.contains("ival"))
    return {std::to_string(int_at(b)), oid::int4};
  if (b.contains("fval")) {
    auto f = b.at("fval").value("fval", "0");
    bool integral = f.find_first_of(".eE") == std::string::npos;
    if (integral) { // too large for int4: int8, or numeric beyond int64
      errno = 0;
      std::strtoll(f.c_str(), nullptr, 10);
      if (errno != ERANGE)
        return {f, oid::int8};
    }
    // a decimal literal is numeric: its exact canonical text (issue 36)
    return {quote_literal(num::canonical(f)), oid::numeric};
  }
  if (b.contains("boolval"))
    return {b.at("boolval").value("boolval", false) ? "1" : "0", oid::boolean};
  if (b.contains("sval"))
    return {quote_literal(b.at("sval").value("sval", "")), 0};
  if (b.contains("bsval"))
    unsupported("bit string literals", json::object());
  return {"NULL", 0};
}

expr translator::tr_column_ref(const json& n, scope& sc) {
  auto fields = body(n).value("fields", json::array());
  std::vector<std::string> parts;
  for (auto& f : fields) {
    if (f.contains("A_Star"))
      unsupported("* in this position", n);
    parts.push_back(sval(f));
  }
  if (parts.size() > 3 || parts.empty())
    unsupported("qualified names with more than three parts", n);
  std::string col = parts.back();
  std::string qual = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  for (scope* s = &sc; s; s = s->parent) {
    const scope_item* hit = nullptr;
    const column* hit_col = nullptr;
    for (auto& it : s->items) {
      if (!qual.empty() && it.alias != qual)
        continue;
      for (auto& c : it.cols)
        if (c.name == col) {
          if (hit)
            throw sql_error("42702",
                            "column reference \"" + col + "\" is ambiguous",
                            location(n));
          hit = &it;
          hit_col = &c;
        }
    }
    if (hit) {
      if (!hit->doc_row.empty() && hit->table) {
        auto& t = *hit->table;
        return {column_expr(t, t.columns[static_cast<size_t>(t.find(col))],
                            hit->doc_row),
                hit_col->type_oid};
      }
      if (hit->alias.empty()) // a compound query's output columns
        return {quote_ident(col), hit_col->type_oid};
      auto name = col;
      if (!hit->col_sql.empty()) { // a table-valued function's own name
        name = hit->col_sql[static_cast<size_t>(hit_col - hit->cols.data())];
        if (name.find('.') != std::string::npos)
          return {name, hit_col->type_oid};
      }
      return {quote_ident(hit->alias) + "." + quote_ident(name),
              hit_col->type_oid};
    }
  }
  if (auto sys = system_column(qual, col, sc, location(n)))
    return *sys;
  if (!qual.empty()) {
    bool known = false;
    for (scope* s = &sc; s && !known; s = s->parent)
      for (auto& it : s->items)
        known = known || it.alias == qual;
    if (!known)
      throw sql_error("42P01",
                      "missing FROM-clause entry for table \"" + qual + "\"",
                      location(n));
    throw sql_error("42703", "column " + qual + "." + col + " does not exist",
                    location(n));
  }
  throw sql_error("42703", "column \"" + col + "\" does not exist",
                  location(n));
}

namespace {

bool is_numeric(uint32_t t) {
  return t == oid::int2 || t == oid::int4 || t == oid::int8 ||
         t == oid::float4 || t == oid::float8 || t == oid::numeric;
}

/// A comparison done by themis_num_cmp: one side numeric, the other a
/// number or untyped (a parameter) (issue 36).
bool numeric_cmp(uint32_t a, uint32_t b) {
  if (a != oid::numeric && b != oid::numeric)
    return false;
  return (!a || is_numeric(a)) && (!b || is_numeric(b));
}

uint32_t arith_type(uint32_t a, uint32_t b) {
  if (!a)
    return b;
  if (!b)
    return a;
  if (a == oid::float8 || b == oid::float8 || a == oid::float4 ||
      b == oid::float4)
    return oid::float8;
  if (a == oid::numeric || b == oid::numeric)
    return oid::numeric;
  if (a == oid::int8 || b == oid::int8)
    return oid::int8;
  if (is_numeric(a) && is_numeric(b))
    return oid::int4;
  return a;
}

} // namespace

expr translator::tr_aexpr(const json& n, scope& sc) {
  auto& b = body(n);
  auto kind = b.value("kind", "");
  auto names = string_list(b.value("name", json::array()));
  std::string op = names.empty() ? "" : names.back();
  auto side = [&](const char* k) -> expr {
    return b.contains(k) ? tr(b[k], sc) : expr{};
  };
  if (kind == "AEXPR_IN") {
    auto l = side("lexpr");
    std::string list;
    if (l.type == oid::numeric) { // exact: 1.0 IN (1) (issue 36)
      for (auto& x : list_items(b.at("rexpr"))) {
        hint_param(x, l.type);
        list += (list.empty() ? "" : ", ") + ("themis_num(" + tr(x, sc).sql + ")");
      }
      return {"(themis_num(" + l.sql + ") COLLATE themis_num" +
                (op == "<>" ? " NOT IN (" : " IN (") + list + "))",
              oid::boolean};
    }
    for (auto& x : list_items(b.at("rexpr"))) {
      hint_param(x, l.type);
      if (!list.empty())
        list += ", ";
      list += tr(x, sc).sql;
    }
    hint_param(b.at("lexpr"), oid::text);
    return {"(" + l.sql + (op == "<>" ? " NOT IN (" : " IN (") + list + "))",
            oid::boolean};
  }
  if (kind == "AEXPR_BETWEEN" || kind == "AEXPR_NOT_BETWEEN") {
    auto l = side("lexpr");
    auto& r = list_items(b.at("rexpr"));
    if (r.size() != 2)
      throw sql_error("42601", "BETWEEN needs two bounds", location(n));
    hint_param(r[0], l.type), hint_param(r[1], l.type);
    auto lo = tr(r[0], sc), hi = tr(r[1], sc);
    if (numeric_cmp(l.type, lo.type) && numeric_cmp(l.type, hi.type)) {
      auto in = "(themis_num_cmp(" + l.sql + ", " + lo.sql +
                ") >= 0 AND themis_num_cmp(" + l.sql + ", " + hi.sql +
                ") <= 0)";
      return {kind == "AEXPR_BETWEEN" ? in : "(NOT " + in + ")",
              oid::boolean};
    }
    return {"(" + l.sql +
              (kind == "AEXPR_BETWEEN" ? " BETWEEN " : " NOT BETWEEN ") +
              lo.sql + " AND " + hi.sql + ")",
            oid::boolean};
  }
  if (kind == "AEXPR_NULLIF") {
    auto l = side("lexpr"), r = side("rexpr");
    return {"NULLIF(" + l.sql + ", " + r.sql + ")", l.type};
  }
  if (kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT") {
    auto l = side("lexpr"), r = side("rexpr");
    return {"(" + l.sql + (kind == "AEXPR_DISTINCT" ? " IS NOT " : " IS ") +
              r.sql + ")",
            oid::boolean};
  }
  if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE") {
    auto l = side("lexpr");
    hint_param(b.at("rexpr"), oid::text);
    auto r = side("rexpr");
    bool neg = op.rfind("!", 0) == 0;
    if (kind == "AEXPR_ILIKE")
      return {"(lower(" + l.sql + ")" + (neg ? " NOT" : "") + " LIKE lower(" +
                r.sql + ") ESCAPE '\\')",
              oid::boolean};
    return {"(" + l.sql + (neg ? " NOT" : "") + " LIKE " + r.sql +
              " ESCAPE '\\')",
            oid::boolean};
  }
  if (kind == "AEXPR_OP_ANY" || kind == "AEXPR_OP_ALL")
    return tr_any_all(n, sc); // translate_array.cpp
  if (kind != "AEXPR_OP")
    unsupported("the operator form " + kind, n);
  if (!b.contains("lexpr")) { // prefix operator
    auto r = side("rexpr");
    if (op == "-" && r.type == oid::numeric)
      return {"themis_num_neg(" + r.sql + ")", r.type};
    if (op == "-")
      return {"(-" + r.sql + ")", r.type};
    if (op == "+")
      return r;
    if (op == "~" && (r.type == oid::int2 || r.type == oid::int4 ||
                      r.type == oid::int8)) // bitwise not
      return {"(~" + r.sql + ")", r.type};
    unsupported("prefix operator " + op, n);
  }
  // hint parameters from the other side's type before translating them
  expr l0, r0;
  if (node_type(b.at("lexpr")) != "ParamRef")
    l0 = tr(b.at("lexpr"), sc);
  if (b.contains("rexpr") && node_type(b.at("rexpr")) != "ParamRef")
    r0 = tr(b.at("rexpr"), sc);
  bool cmp = op == "=" || op == "<>" || op == "!=" || op == "<" || op == ">" ||
             op == "<=" || op == ">=";
  bool arith = op == "+" || op == "-" || op == "*" || op == "/" || op == "%";
  bool array_op = op == "@>" || op == "<@" || op == "&&";
  if (cmp || arith || array_op) {
    hint_param(b.at("lexpr"), r0.type);
    if (b.contains("rexpr"))
      hint_param(b.at("rexpr"), l0.type);
  }
  if (op == "->" || op == "->>" || op == "?")
    hint_param(b.at("rexpr"), oid::text);
  bool key_list = op == "?|" || op == "?&" || op == "#>" || op == "#>>";
  if (key_list) // jsonb ?| ?& #> #>>: a text[] of keys or a path
    hint_param(b.at("rexpr"), oid::text_array);
  if (op == "||" || op[0] == '~' || op[0] == '!')
    hint_param(b.at("lexpr"), oid::text), hint_param(b.at("rexpr"), oid::text);
  expr l = node_type(b.at("lexpr")) == "ParamRef" ? tr(b.at("lexpr"), sc) : l0;
  expr r = b.contains("rexpr") && node_type(b.at("rexpr")) == "ParamRef"
             ? tr(b.at("rexpr"), sc)
             : r0;
  if (!b.contains("rexpr"))
    unsupported("postfix operator " + op, n);
  if ((op == "@>" || op == "<@") &&
      (l.type == oid::jsonb || r.type == oid::jsonb)) {
    // jsonb containment (issue 36; Django's JSONField lookups)
    auto& outer = op == "@>" ? l : r;
    auto& inner = op == "@>" ? r : l;
    return {"themis_jsonb_contains(" + outer.sql + ", " + inner.sql + ")",
            oid::boolean};
  }
  if (op == "?" || key_list) { // jsonb keys and paths (issue 36)
    if (key_list && !is_array_type(r.type))
      r.sql = cast_to(r, oid::text_array);
    if (op == "#>" || op == "#>>")
      return {"themis_jsonb_path(" + l.sql + ", " + r.sql +
                (op == "#>" ? ", 0)" : ", 1)"),
              op == "#>" ? oid::jsonb : oid::text};
    return {"themis_jsonb_exists(" + l.sql + ", " + r.sql + ", " +
              (op == "?" ? "0" : op == "?|" ? "1" : "2") + ")",
            oid::boolean};
  }
  if (auto a = tr_array_op(op, n, l, r)) // an array operand
    return *a;
  if (cmp) {
    if (op == "!=")
      op = "<>";
    // an untyped literal against a typed side takes that type (as in
    // PostgreSQL), so '2024-01-01' compares as a date and bad input fails
    if (!l.type && r.type && node_type(b.at("lexpr")) == "A_Const")
      l.sql = cast_to(l, r.type);
    if (!r.type && l.type && node_type(b.at("rexpr")) == "A_Const")
      r.sql = cast_to(r, l.type);
    if (numeric_cmp(l.type, r.type)) // exact, NaN and scales (issue 36)
      return {"(themis_num_cmp(" + l.sql + ", " + r.sql + ") " + op + " 0)",
              oid::boolean};
    return {"(" + l.sql + " " + op + " " + r.sql + ")", oid::boolean};
  }
  if (arith) {
    auto t = arith_type(l.type, r.type);
    if (t == oid::numeric) { // exact (issue 36)
      static const std::unordered_map<std::string, std::string> fns = {
        {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"%", "mod"}};
      return {"themis_num_" + fns.at(op) + "(" + l.sql + ", " + r.sql + ")",
              t};
    }
    if (op == "/" && (t == oid::int2 || t == oid::int4 || t == oid::int8))
      return {"themis_idiv(" + l.sql + ", " + r.sql + ")", t};
    return {"(" + l.sql + " " + op + " " + r.sql + ")", t};
  }
  if (op == "&" || op == "|" || op == "#" || op == "<<" || op == ">>") {
    // integer bit operators (Django's get_constraints reads indoption & 1)
    auto t = arith_type(l.type, r.type);
    if (t != oid::int2 && t != oid::int4 && t != oid::int8)
      throw sql_error("42883", "operator does not exist: " +
                                 std::string(type_name(l.type)) + " " + op +
                                 " " + type_name(r.type),
                      location(n));
    if (op == "#") // xor
      return {"((" + l.sql + " | " + r.sql + ") - (" + l.sql + " & " + r.sql +
                "))",
              t};
    return {"(" + l.sql + " " + op + " " + r.sql + ")",
            op == "<<" || op == ">>" ? l.type : t};
  }
  if (op == "||")
    return {"(" + l.sql + " || " + r.sql + ")", oid::text};
  if (op == "->")
    return {"(" + l.sql + " -> " + r.sql + ")", oid::jsonb};
  if (op == "->>")
    return {"CAST(" + l.sql + " ->> " + r.sql + " AS TEXT)", oid::text};
  if (op == "~~")
    return {"(" + l.sql + " LIKE " + r.sql + " ESCAPE '\\')", oid::boolean};
  if (op == "!~~")
    return {"(" + l.sql + " NOT LIKE " + r.sql + " ESCAPE '\\')", oid::boolean};
  if (op == "~~*")
    return {"(lower(" + l.sql + ") LIKE lower(" + r.sql + ") ESCAPE '\\')",
            oid::boolean};
  if (op == "!~~*")
    return {"(lower(" + l.sql + ") NOT LIKE lower(" + r.sql + ") ESCAPE '\\')",
            oid::boolean};
  if (op == "~" || op == "!~" || op == "~*" || op == "!~*")
    return {std::string(op[0] == '!' ? "NOT " : "") + "themis_regex(" + l.sql +
              ", " + r.sql + ", " + (op.back() == '*' ? "1" : "0") + ")",
            oid::boolean};
  if (auto v = tr_vector_op(op, l, r)) // <-> <=> <#> (issue 32)
    return *v;
  unsupported("operator " + op, n);
}

expr translator::tr_cast(const json& n, scope& sc) {
  auto& b = body(n);
  if (auto p = udf_regproc_cast(cat, b)) // 'f(int)'::regprocedure (issue 36)
    return *p;
  auto type = type_of_typename(b.at("typeName"));
  hint_param(b.at("arg"), type);
  if (is_array_type(type) && node_type(b.at("arg")) == "A_ArrayExpr")
    return *tr_array_cast(tr_array_ctor(b.at("arg"), sc, type), type);
  if (type == oid::regclass && node_type(b.at("arg")) == "A_Const") {
    auto name = body(b.at("arg")).contains("sval")
                  ? body(b.at("arg")).at("sval").value("sval", "")
                  : std::string();
    auto dot = name.rfind('.');
    if (dot != std::string::npos)
      name = name.substr(dot + 1);
    if (name.size() >= 2 && name.front() == '"')
      name = name.substr(1, name.size() - 2);
    if (!name.empty() && name.find_first_not_of("0123456789") ==
                           std::string::npos) // '16390'::regclass (psql)
      return {name, oid::regclass};
    auto t = cat.find(name);
    if (!t) {
      // catalogs, indexes, sequences (catalog_functions.cpp; issue 36)
      if (auto o = relation_oid(cat, name))
        return {std::to_string(*o), oid::regclass};
      throw sql_error("42P01", "relation \"" + name + "\" does not exist",
                      location(n));
    }
    return {std::to_string(t->oid), oid::regclass};
  }
  auto a = tr(b.at("arg"), sc);
  if (auto arr = tr_array_cast(a, type)) // translate_array.cpp
    return *arr;
  if (type == oid::regtype) // a type name resolves to its OID
    return {affinity_of(a.type) == affinity::integer ? a.sql : cast_to(a, type),
            type};
  if (a.type == oid::regtype && affinity_of(type) == affinity::text)
    return {"themis_format_type(" + a.sql + ", -1)", type};
  if (type == oid::oid_t && affinity_of(a.type) == affinity::text)
    return {"CAST(" + a.sql + " AS INTEGER)", type}; // '16393'::oid (pg_dump)
  if (type == oid::regclass || type == oid::regproc || type == oid::oid_t)
    return {a.sql, type};
  if (type == oid::numeric) { // numeric(p,s) rounds and checks (issue 36)
    auto tm = numeric_typmod(b.at("typeName"));
    auto v = a.type == type ? a.sql : cast_to(a, type);
    if (tm >= 0)
      return {"themis_num_typmod(" + v + ", " + std::to_string(tm) + ")", type};
    return {v, type};
  }
  if (a.type == oid::numeric &&
      (type == oid::int2 || type == oid::int4 || type == oid::int8))
    return {"themis_num_to_int(" + a.sql + ", " + std::to_string(type) + ")",
            type};
  if (a.type == oid::numeric && (type == oid::float4 || type == oid::float8))
    return {"themis_num_to_float(" + a.sql + ")", type};
  if (a.type == type)
    return a;
  return {cast_to(a, type), type};
}

expr translator::tr_sublink(const json& n, scope& sc) {
  auto& b = body(n);
  auto kind = b.value("subLinkType", "");
  auto saved = ctes;
  auto sub = tr_select(b.at("subselect"), &sc);
  ctes = saved;
  if (kind == "EXISTS_SUBLINK")
    return {"EXISTS (" + sub.sql + ")", oid::boolean};
  if (kind == "EXPR_SUBLINK") {
    if (sub.cols.size() != 1)
      throw sql_error("42601", "subquery must return only one column",
                      location(n));
    // more than one row is 21000, as in PostgreSQL (SQLite takes the first)
    auto c = quote_ident(sub.cols[0].name);
    return {"(SELECT CASE WHEN count(*) > 1 THEN themis_subquery_rows() ELSE "
            "min(" +
              c + ") END FROM (SELECT * FROM (" + sub.sql + ") LIMIT 2))",
            sub.cols[0].type_oid};
  }
  if (kind == "ANY_SUBLINK") {
    auto names = string_list(b.value("operName", json::array()));
    if (!names.empty() && names.back() != "=")
      unsupported("op ANY (subquery) other than IN", n);
    auto l = tr(b.at("testexpr"), sc);
    return {"(" + l.sql + " IN (" + sub.sql + "))", oid::boolean};
  }
  if (kind == "ARRAY_SUBLINK") {
    if (sub.cols.size() != 1)
      throw sql_error("42601", "subquery must return only one column",
                      location(n));
    // a typed array of the rows (empty, not NULL, when there are none)
    auto c = quote_ident(sub.cols[0].name);
    auto t = sub.cols[0].type_oid;
    bool nested = is_array_type(t);
    auto elem = nested ? element_type_of(t) : t;
    auto arr = array_type_of(elem);
    if (!arr)
      unsupported(std::string("ARRAY() of type ") + type_name(elem), n);
    return {"(SELECT COALESCE(themis_array_fix(themis_array_agg(" + c + "), " +
              std::to_string(elem) + ", " + (nested ? "1" : "0") +
              "), '[]') FROM (" + sub.sql + "))",
            arr};
  }
  if (kind == "ALL_SUBLINK") {
    auto names = string_list(b.value("operName", json::array()));
    if (!names.empty() && names.back() == "<>") {
      auto l = tr(b.at("testexpr"), sc);
      return {"(" + l.sql + " NOT IN (" + sub.sql + "))", oid::boolean};
    }
  }
  unsupported("subquery form " + kind, n);
}

expr translator::tr(const json& node, scope& sc) {
  if (engine::stack_exhausted())
    throw sql_error("54001", "statement too complex (stack depth)");
  auto& type = node_type(node);
  auto& b = body(node);
  if (type == "A_Const")
    return tr_const(b);
  if (type == "ColumnRef")
    return tr_column_ref(node, sc);
  if (type == "ParamRef") {
    auto num = b.value("number", 0);
    if (num <= 0 || num > 65535)
      throw sql_error("42P02", "there is no parameter $" + std::to_string(num),
                      location(node));
    if (params.size() < static_cast<size_t>(num))
      params.resize(static_cast<size_t>(num), 0);
    return {"?" + std::to_string(num), params[static_cast<size_t>(num - 1)]};
  }
  if (type == "A_Expr")
    return tr_aexpr(node, sc);
  if (type == "BoolExpr") {
    auto op = b.value("boolop", "");
    std::vector<std::string> parts;
    for (auto& a : b.at("args")) {
      hint_param(a, oid::boolean);
      parts.push_back(tr(a, sc).sql);
    }
    if (op == "NOT_EXPR")
      return {"(NOT " + parts[0] + ")", oid::boolean};
    std::string j = op == "AND_EXPR" ? " AND " : " OR ";
    std::string out = "(";
    for (size_t i = 0; i < parts.size(); ++i)
      out += (i ? j : "") + parts[i];
    return {out + ")", oid::boolean};
  }
  if (type == "NullTest") {
    auto a = tr(b.at("arg"), sc);
    return {"(" + a.sql +
              (b.value("nulltesttype", "") == "IS_NULL" ? " IS NULL)"
                                                        : " IS NOT NULL)"),
            oid::boolean};
  }
  if (type == "BooleanTest") {
    auto a = tr(b.at("arg"), sc);
    static const std::unordered_map<std::string, std::string> forms = {
      {"IS_TRUE", " IS 1"},       {"IS_NOT_TRUE", " IS NOT 1"},
      {"IS_FALSE", " IS 0"},      {"IS_NOT_FALSE", " IS NOT 0"},
      {"IS_UNKNOWN", " IS NULL"}, {"IS_NOT_UNKNOWN", " IS NOT NULL"}};
    auto it = forms.find(b.value("booltesttype", ""));
    if (it == forms.end())
      unsupported("this boolean test", node);
    return {"((" + a.sql + ")" + it->second + ")", oid::boolean};
  }
  if (type == "TypeCast")
    return tr_cast(node, sc);
  if (type == "FuncCall")
    return tr_func(node, sc);
  if (type == "SubLink")
    return tr_sublink(node, sc);
  if (type == "CoalesceExpr") {
    std::string out = "COALESCE(";
    uint32_t t = 0;
    bool first = true;
    for (auto& a : b.at("args")) {
      auto e = tr(a, sc);
      t = t ? t : e.type;
      out += (first ? "" : ", ") + e.sql;
      first = false;
    }
    if (b.at("args").size() == 1)
      out += ", NULL";
    return {out + ")", t};
  }
  if (type == "MinMaxExpr") {
    bool greatest = b.value("op", "") == "IS_GREATEST";
    std::string out;
    uint32_t t = 0;
    for (auto& a : b.at("args")) {
      auto e = tr(a, sc);
      t = t ? t : e.type;
      out += (out.empty() ? "" : ", ") + e.sql;
    }
    // PostgreSQL ignores NULLs here; SQLite's max/min return NULL on one
    return {std::string(greatest ? "themis_greatest(" : "themis_least(") + out +
              ")",
            t};
  }
  if (type == "CaseExpr") {
    std::string out = "CASE";
    uint32_t t = 0;
    if (b.contains("arg"))
      out += " " + tr(b.at("arg"), sc).sql;
    for (auto& w : b.at("args")) {
      auto& cw = body(w);
      auto c = tr(cw.at("expr"), sc);
      auto r = tr(cw.at("result"), sc);
      t = t ? t : r.type;
      out += " WHEN " + c.sql + " THEN " + r.sql;
    }
    if (b.contains("defresult")) {
      auto d = tr(b.at("defresult"), sc);
      t = t ? t : d.type;
      out += " ELSE " + d.sql;
    }
    return {out + " END", t};
  }
  if (type == "SQLValueFunction") {
    auto op = b.value("op", "");
    if (op == "SVFOP_CURRENT_TIMESTAMP" || op == "SVFOP_CURRENT_TIMESTAMP_N")
      return {"themis_now()", oid::timestamptz};
    if (op == "SVFOP_LOCALTIMESTAMP" || op == "SVFOP_LOCALTIMESTAMP_N")
      return {"replace(themis_now(), '+00', '')", oid::timestamp};
    if (op == "SVFOP_CURRENT_DATE")
      return {"substr(themis_now(), 1, 10)", oid::date};
    if (op == "SVFOP_CURRENT_USER" || op == "SVFOP_SESSION_USER" ||
        op == "SVFOP_USER" || op == "SVFOP_CURRENT_ROLE")
      return {quote_literal(info.user), oid::name};
    if (op == "SVFOP_CURRENT_SCHEMA")
      return {"'public'", oid::name};
    if (op == "SVFOP_CURRENT_CATALOG")
      return {quote_literal(info.database), oid::name};
    unsupported("SQL value function " + op, node);
  }
  if (type == "CollateClause")
    return tr(b.at("arg"), sc);
  if (type == "SetToDefault")
    unsupported("DEFAULT in this position", node);
  if (type == "RowExpr")
    unsupported("row constructors", node);
  if (type == "A_ArrayExpr")
    return tr_array_ctor(node, sc);
  if (type == "A_Indirection")
    return tr_subscript(node, sc);
  if (type == "GroupingFunc")
    unsupported("GROUPING()", node);
  unsupported("the expression " + type, node);
}

std::string translator::output_name(const json& node) {
  auto& type = node_type(node);
  auto& b = body(node);
  if (type == "ColumnRef") {
    auto f = string_list(b.value("fields", json::array()));
    return f.empty() ? "?column?" : f.back();
  }
  if (type == "FuncCall") {
    auto f = string_list(b.value("funcname", json::array()));
    return f.empty() ? "?column?" : f.back();
  }
  if (type == "TypeCast") {
    auto inner = output_name(b.at("arg"));
    if (inner != "?column?")
      return inner;
    auto names = string_list(b.at("typeName").value("names", json::array()));
    return names.empty() ? "?column?" : names.back();
  }
  if (type == "CaseExpr")
    return "case";
  if (type == "A_ArrayExpr")
    return "array";
  if (type == "A_Indirection")
    return output_name(b.at("arg"));
  if (type == "CoalesceExpr")
    return "coalesce";
  if (type == "MinMaxExpr")
    return b.value("op", "") == "IS_GREATEST" ? "greatest" : "least";
  if (type == "SubLink") {
    auto k = b.value("subLinkType", "");
    if (k == "EXISTS_SUBLINK")
      return "exists";
    if (k == "ARRAY_SUBLINK")
      return "array";
    if (k == "EXPR_SUBLINK") {
      auto& sel = body(b.at("subselect"));
      if (sel.contains("targetList") && sel.at("targetList").size() == 1) {
        auto& rt = body(sel.at("targetList")[0]);
        if (rt.contains("name"))
          return rt.at("name").get<std::string>();
        return output_name(rt.at("val"));
      }
    }
  }
  if (type == "SQLValueFunction") {
    static const std::unordered_map<std::string, std::string> names = {
      {"SVFOP_CURRENT_TIMESTAMP", "current_timestamp"},
      {"SVFOP_CURRENT_DATE", "current_date"},
      {"SVFOP_CURRENT_USER", "current_user"},
      {"SVFOP_SESSION_USER", "session_user"},
      {"SVFOP_USER", "current_user"},
      {"SVFOP_CURRENT_SCHEMA", "current_schema"},
      {"SVFOP_CURRENT_CATALOG", "current_catalog"},
      {"SVFOP_LOCALTIMESTAMP", "localtimestamp"}};
    auto it = names.find(b.value("op", ""));
    if (it != names.end())
      return it->second;
  }
  return "?column?";
}

} // namespace themis::sql::detail
