/// Arrays in the translator (issue 36): ARRAY[...] and ARRAY(subquery),
/// subscripts and slices, ANY/ALL, the array operators and functions,
/// casts and unnest(). Array values are JSON arrays inside SQLite
/// (pg_array.hpp); expressions carry the array type's OID, so results are
/// described and encoded as PostgreSQL arrays.

#include "engine/sql/pg_array.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

int numeric_rank(uint32_t t) {
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
}

/// The common element type of two (PostgreSQL's numeric promotion; else
/// the first known one).
uint32_t common_type(uint32_t a, uint32_t b) {
  if (!a || a == oid::unknown)
    return b == oid::unknown ? 0 : b;
  if (!b || b == oid::unknown)
    return a;
  auto ra = numeric_rank(a), rb = numeric_rank(b);
  if (ra && rb)
    return ra >= rb ? a : b;
  return a;
}

bool untyped_literal(const json& node, const expr& e) {
  return !e.type && node_type(node) == "A_Const";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& x : v)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

} // namespace

expr translator::tr_array_ctor(const json& n, scope& sc, uint32_t want) {
  auto& b = body(n);
  auto elems = b.value("elements", json::array());
  uint32_t elem = want ? element_type_of(want) : 0;
  bool nested = false;
  std::vector<expr> es(elems.size());
  std::vector<bool> done(elems.size(), false);
  // elements other than parameters first: their types type the array
  for (size_t i = 0; i < elems.size(); ++i) {
    auto& x = elems[i];
    if (node_type(x) == "ParamRef")
      continue;
    es[i] =
      node_type(x) == "A_ArrayExpr" ? tr_array_ctor(x, sc, want) : tr(x, sc);
    done[i] = true;
    auto t = es[i].type;
    if (is_array_type(t)) {
      nested = true;
      t = element_type_of(t);
    }
    if (!want)
      elem = common_type(elem, t);
  }
  if (elems.empty() && !want)
    throw sql_error("42P18", "cannot determine type of empty array",
                    location(n));
  if (!elem)
    elem = oid::text;
  auto arr = array_type_of(elem);
  if (!arr)
    unsupported(std::string("arrays of type ") + type_name(elem), n);
  std::vector<std::string> parts;
  for (size_t i = 0; i < elems.size(); ++i) {
    if (!done[i]) {
      hint_param(elems[i], nested ? arr : elem);
      es[i] = tr(elems[i], sc);
    }
    parts.push_back(es[i].sql);
  }
  // SQLite caps a function's arguments: long lists in chunks, concatenated
  auto tag = std::to_string(elem) + ", " + (nested ? "1" : "0");
  std::string out;
  for (size_t i = 0; i < parts.size() || i == 0; i += 100) {
    std::vector<std::string> chunk(
      parts.begin() + static_cast<long>(i),
      parts.begin() + static_cast<long>(std::min(parts.size(), i + 100)));
    auto one =
      "themis_array(" + tag + (chunk.empty() ? "" : ", ") + join(chunk) + ")";
    out = out.empty() ? one
                      : "themis_array_cat(" + out + ", " + one + ", " +
                          std::to_string(elem) + ")";
    if (parts.empty())
      break;
  }
  return {out, arr};
}

expr translator::tr_subscript(const json& n, scope& sc) {
  auto& b = body(n);
  auto& ind = b.at("indirection");
  bool slice = false;
  for (auto& x : ind) {
    if (node_type(x) != "A_Indices")
      unsupported("field selection", n);
    slice = slice || body(x).value("is_slice", false);
  }
  if (ind.size() > static_cast<size_t>(max_array_dims))
    throw sql_error("54000",
                    "number of array dimensions (" +
                      std::to_string(ind.size()) +
                      ") exceeds the maximum allowed (6)",
                    location(n));
  auto a = tr(b.at("arg"), sc);
  if (a.type == oid::name && ind.size() == 1 && !slice &&
      body(ind[0]).contains("uidx")) // name[i]: its byte i (pg_dump's
    return {"substr(" + a.sql + ", CAST(" + // typname[0] = '_'; issue 36)
              tr(body(ind[0]).at("uidx"), sc).sql + " AS INTEGER) + 1, 1)",
            oid::char_t};
  uint32_t arr = is_array_type(a.type) ? a.type : oid::text_array;
  if (!is_array_type(a.type) && a.type && a.type != oid::text &&
      a.type != oid::unknown)
    throw sql_error("42804",
                    std::string("cannot subscript type ") + type_name(a.type) +
                      " because it does not support subscripting",
                    location(n));
  std::vector<std::string> subs;
  auto bound = [&](const json& x, const char* k, const char* missing) {
    if (!body(x).contains(k))
      return std::string(missing);
    hint_param(body(x).at(k), oid::int4);
    return "CAST(" + tr(body(x).at(k), sc).sql + " AS INTEGER)";
  };
  for (auto& x : ind) {
    if (slice) {
      // a plain subscript among slices is 1:i, as in PostgreSQL
      subs.push_back(body(x).value("is_slice", false)
                       ? bound(x, "lidx", "-9223372036854775807")
                       : "1");
      subs.push_back(bound(x, "uidx", "9223372036854775807"));
    } else {
      subs.push_back(bound(x, "uidx", "NULL"));
    }
  }
  auto arg = "themis_array_json(" + a.sql + ", " +
             std::to_string(element_type_of(arr)) + ")";
  if (slice)
    return {"themis_array_slice(" + arg + ", " + join(subs) + ")", arr};
  return {"themis_array_sub(" + arg + ", " + join(subs) + ")",
          element_type_of(arr)};
}

expr translator::tr_any_all(const json& n, scope& sc) {
  auto& b = body(n);
  bool any = b.value("kind", "") == "AEXPR_OP_ANY";
  auto names = string_list(b.value("name", json::array()));
  std::string op = names.empty() ? "=" : names.back();
  static const char* ops[] = {
    "=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*"};
  bool known = false;
  for (auto* o : ops)
    known = known || op == o;
  if (!known)
    unsupported("operator " + op + (any ? " ANY" : " ALL"), n);
  auto& ln = b.at("lexpr");
  auto& rn = b.at("rexpr");
  expr l;
  if (node_type(ln) != "ParamRef")
    l = tr(ln, sc);
  uint32_t want = array_type_of(l.type);
  expr r;
  if (node_type(rn) == "A_ArrayExpr") {
    // typed by its own elements; only parameters and untyped literals
    // take the left side's type (x = ANY(ARRAY[$1, $2]))
    bool untyped = true;
    for (auto& x : body(rn).value("elements", json::array()))
      untyped =
        untyped && (node_type(x) == "ParamRef" ||
                    (node_type(x) == "A_Const" && body(x).contains("sval")));
    r = tr_array_ctor(rn, sc, untyped ? want : 0);
  } else {
    hint_param(rn, want ? want : oid::text_array);
    r = tr(rn, sc);
  }
  if (!is_array_type(r.type)) {
    if (r.type && r.type != oid::text && r.type != oid::unknown)
      throw sql_error("42809",
                      "op ANY/ALL (array) requires array on right side",
                      location(n));
    // an untyped literal ('{1,2}') is an array of the left side's type
    auto t = want ? want : oid::text_array;
    if (untyped_literal(rn, r))
      r.sql = cast_to(r, t);
    r.type = t;
  }
  auto elem = element_type_of(r.type);
  if (node_type(ln) == "ParamRef") {
    hint_param(ln, elem);
    l = tr(ln, sc);
  }
  if (untyped_literal(ln, l))
    l.sql = cast_to(l, elem);
  auto items =
    "FROM themis_unnest(" + r.sql + ", " + std::to_string(elem) + ")";
  if (op == "!=")
    op = "<>";
  // numerics compare by exact value (1.5 = 1.50), not by their text
  bool exact = elem == oid::numeric || l.type == oid::numeric;
  // an IN an index can use; a NULL array is the set {NULL}, so the answer
  // is NULL as PostgreSQL's, without a CASE that would hide the IN
  if (!exact && ((any && op == "=") || (!any && op == "<>")))
    return {"(" + l.sql + (any ? " IN" : " NOT IN") +
              " (SELECT v FROM themis_unnest(coalesce(" + r.sql +
              ", '[null]'), " + std::to_string(elem) + ")))",
            oid::boolean};
  std::string test;
  if (op.find("~~") != std::string::npos) {
    bool neg = op[0] == '!', ci = op.back() == '*';
    test = std::string(ci ? "lower(" : "(") + l.sql + ")" +
           (neg ? " NOT" : "") + " LIKE " + (ci ? "lower(v)" : "v") +
           " ESCAPE '\\'";
  } else if (exact) {
    test = "themis_num_cmp(" + l.sql + ", v) " + op + " 0";
  } else {
    test = l.sql + " " + op + " v";
  }
  // three-valued: a NULL comparison makes the answer NULL unless one
  // comparison already decides it
  return {"(SELECT CASE WHEN " + r.sql + " IS NULL THEN NULL WHEN max(c IS " +
            (any ? "1" : "0") + ") THEN " + (any ? "1" : "0") +
            " WHEN max(c IS NULL) THEN NULL ELSE " + (any ? "0" : "1") +
            " END FROM (SELECT (" + test + ") AS c " + items + "))",
          oid::boolean};
}

std::optional<expr> translator::tr_array_op(const std::string& op,
                                            const json& n, expr& l, expr& r) {
  auto& b = body(n);
  bool la = is_array_type(l.type), ra = is_array_type(r.type);
  if (!la && !ra)
    return std::nullopt;
  auto arr = la ? l.type : r.type;
  auto elem = element_type_of(arr);
  auto e = std::to_string(elem);
  // an untyped literal beside an array is an array of that type
  if (!la && untyped_literal(b.at("lexpr"), l)) {
    l.sql = cast_to(l, arr);
    l.type = arr;
    la = true;
  }
  if (!ra && untyped_literal(b.at("rexpr"), r)) {
    r.sql = cast_to(r, arr);
    r.type = arr;
    ra = true;
  }
  if (op == "||") {
    if (la && ra)
      return expr{"themis_array_cat(" + l.sql + ", " + r.sql + ", " + e + ")",
                  arr};
    if (la)
      return expr{
        "themis_array_append(" + l.sql + ", " + r.sql + ", " + e + ")", arr};
    return expr{"themis_array_prepend(" + l.sql + ", " + r.sql + ", " + e + ")",
                arr};
  }
  if (!la || !ra)
    throw sql_error("42883",
                    "operator does not exist: " +
                      std::string(type_name(l.type ? l.type : oid::unknown)) +
                      " " + op + " " +
                      type_name(r.type ? r.type : oid::unknown),
                    location(n));
  if (op == "@>")
    return expr{"themis_array_contains(" + l.sql + ", " + r.sql + ", " + e +
                  ")",
                oid::boolean};
  if (op == "<@")
    return expr{"themis_array_contains(" + r.sql + ", " + l.sql + ", " + e +
                  ")",
                oid::boolean};
  if (op == "&&")
    return expr{"themis_array_overlap(" + l.sql + ", " + r.sql + ", " + e + ")",
                oid::boolean};
  if (op == "=" || op == "<>" || op == "!=" || op == "<" || op == ">" ||
      op == "<=" || op == ">=")
    return expr{"(themis_array_cmp(" + l.sql + ", " + r.sql + ", " + e + ") " +
                  (op == "!=" ? "<>" : op) + " 0)",
                oid::boolean};
  return std::nullopt;
}

std::optional<expr> translator::tr_array_cast(const expr& a, uint32_t type) {
  if (is_array_type(type)) {
    if (a.type == type)
      return a;
    return expr{cast_to(a, type), type};
  }
  if (!is_array_type(a.type))
    return std::nullopt;
  if (type == oid::text || type == oid::varchar || type == oid::bpchar ||
      type == oid::name)
    return expr{
      "themis_array_text(" + a.sql + ", " + std::to_string(a.type) + ")", type};
  throw sql_error("42846", std::string("cannot cast type ") +
                             type_name(a.type) + " to " + type_name(type));
}

std::string translator::unnest_sql(const json& call, const std::string& col,
                                   uint32_t& type, scope& sc) {
  auto args = body(call).value("args", json::array());
  if (args.size() != 1)
    unsupported("unnest() of several arrays", call);
  expr a;
  if (node_type(args[0]) == "A_ArrayExpr") {
    a = tr_array_ctor(args[0], sc);
  } else {
    hint_param(args[0], oid::text_array);
    a = tr(args[0], sc);
  }
  if (!is_array_type(a.type)) {
    if (a.type && a.type != oid::text && a.type != oid::unknown)
      throw sql_error("42883",
                      std::string("function unnest(") + type_name(a.type) +
                        ") does not exist",
                      location(call));
    a.type = oid::text_array; // an array's text form: text elements
  }
  type = element_type_of(a.type);
  auto fn = "themis_unnest(" + a.sql + ", " + std::to_string(type) + ")";
  // a table-valued function may take columns of the FROM items before it
  // (a subquery may not): the select list's form, whose column is "v"
  if (col == "v")
    return fn;
  return "(SELECT v AS " + quote_ident(col) + " FROM " + fn +
         " ORDER BY ordinality)";
}

} // namespace themis::sql::detail
