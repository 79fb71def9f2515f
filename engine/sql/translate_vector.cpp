/// Vector and full-text search in SQL (issue 32; docs/vector.md "SQL",
/// docs/search.md "SQL"):
///
///   themis_vector_search(collection, field, query [, k [, ef]])
///       in FROM → (_key text, distance float8, doc jsonb)
///   themis_fulltext(collection, attribute, query [, limit])
///       in FROM → (_key text, score float8, doc jsonb)
///   vector_distance(a, b [, metric]), and pgvector's operators
///   a <-> b (L2), a <=> b (cosine), a <#> b (negative inner product)
///   EXPLAIN [VERBOSE] [(COSTS …)] SELECT …  (the plan names the index)
///
/// The set-returning forms become the table-valued functions of
/// sql_vector_vtab.cpp with the session's namespace appended, so a tenant
/// reaches only its own collections (the user cannot write those
/// arguments: they are not part of the PostgreSQL signature).

#include "engine/sql/pg_array.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

std::optional<std::string> translator::vector_srf_from(const json& node,
                                                       const json& call,
                                                       const std::string& fname,
                                                       scope& sc) {
  bool vec = fname == "themis_vector_search";
  if (!vec && fname != "themis_fulltext")
    return std::nullopt;
  auto& b = body(node);
  auto args = body(call).value("args", json::array());
  size_t lo = 3, hi = vec ? 5 : 4;
  if (args.size() < lo || args.size() > hi)
    throw sql_error("42883",
                    "function " + fname + " with " +
                      std::to_string(args.size()) +
                      " arguments does not exist (it takes " +
                      (vec ? "collection, field, query vector [, k [, ef]]"
                           : "collection, attribute, query [, limit]") +
                      ")",
                    location(call));
  std::string sql = vec ? "themis_vsearch(" : "themis_ftsearch(";
  for (size_t i = 0; i < 5; ++i) {
    if (i > 0)
      sql += ", ";
    if (i >= args.size()) { // defaults: k 10 / limit 100, ef from the index
      sql += i == 3 ? (vec ? "10" : "100") : "NULL";
      continue;
    }
    hint_param(args[i], i < 3 ? oid::text : oid::int4);
    auto e = tr(args[i], sc);
    // a typed array (float4[] …) is a JSON array inside the engine,
    // which the function reads like pgvector's '[…]' text
    sql += e.sql;
  }
  sql += ", " + quote_literal(info.ns) + ", " +
         (info.all_namespaces && info.ns.empty() ? "1" : "0") + ")";
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", fname) : fname;
  std::vector<std::string> names;
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    names = string_list(b.at("alias").at("colnames"));
  scope_item item{alias, {}, nullptr, "", {}};
  const char* own[] = {"_key", vec ? "distance" : "score", "doc"};
  const uint32_t types[] = {oid::text, oid::float8, oid::jsonb};
  for (size_t i = 0; i < 3; ++i) {
    item.cols.push_back({i < names.size() ? names[i] : own[i], types[i]});
    item.col_sql.push_back(quote_ident(alias) + "." + quote_ident(own[i]));
  }
  if (b.value("ordinality", false)) {
    item.cols.push_back(
      {names.size() > 3 ? names[3] : std::string("ordinality"), oid::int8});
    item.col_sql.push_back(quote_ident(alias) + ".\"ordinality\"");
  }
  if (names.size() > item.cols.size())
    throw sql_error(
      "42P10", "table \"" + alias + "\" has " +
                 std::to_string(item.cols.size()) + " columns available but " +
                 std::to_string(names.size()) + " columns specified");
  sc.items.push_back(std::move(item));
  return sql + " AS " + quote_ident(alias);
}

std::optional<expr> translator::tr_vector_func(const std::string& name,
                                               const json& n, scope& sc) {
  if (name == "themis_vector_search" || name == "themis_fulltext")
    unsupported(name + "() outside FROM (use SELECT … FROM " + name + "(…))",
                n);
  if (name != "vector_distance" && name != "cosine_distance" &&
      name != "l2_distance" && name != "inner_product")
    return std::nullopt;
  auto args = body(n).value("args", json::array());
  size_t want = name == "vector_distance" ? 3 : 2;
  if (args.size() < 2 || args.size() > want)
    throw sql_error("42883",
                    "function " + name + " with " +
                      std::to_string(args.size()) + " arguments does not exist",
                    location(n));
  std::string sql = "themis_vector_distance(";
  for (size_t i = 0; i < args.size(); ++i) {
    hint_param(args[i], oid::text);
    sql += (i ? ", " : "") + tr(args[i], sc).sql;
  }
  if (name == "cosine_distance")
    sql += ", 'cosine'";
  else if (name == "l2_distance")
    sql += ", 'l2'";
  if (name == "inner_product") // pgvector's inner_product is the dot itself
    return expr{"(-" + sql + ", 'inner_product'))", oid::float8};
  return expr{sql + ")", oid::float8};
}

std::optional<expr> translator::tr_vector_op(const std::string& op,
                                             const expr& l, const expr& r) {
  const char* metric = op == "<->"   ? "l2"
                       : op == "<=>" ? "cosine"
                       : op == "<#>" ? "inner_product"
                                     : nullptr;
  if (!metric)
    return std::nullopt;
  return expr{"themis_vector_distance(" + l.sql + ", " + r.sql + ", '" +
                metric + "')",
              oid::float8};
}

statement translator::tr_explain(const json& n) {
  auto& b = body(n);
  for (auto& o : b.value("options", json::array())) {
    auto& d = body(o);
    auto opt = d.value("defname", "");
    if (opt == "analyze" || opt == "buffers" || opt == "wal" ||
        opt == "timing" || opt == "summary" || opt == "settings")
      unsupported("EXPLAIN (" + opt + ")", n);
    if (opt == "format") {
      std::string f = d.contains("arg") ? sval(d.at("arg")) : "";
      if (f != "text" && f != "TEXT")
        unsupported("EXPLAIN (FORMAT " + f + ")", n);
    }
  }
  auto& q = b.at("query");
  if (node_type(q) != "SelectStmt")
    unsupported("EXPLAIN of a statement other than SELECT", n);
  auto out = tr_select(q, nullptr);
  if (!params.empty())
    unsupported("EXPLAIN with parameters", n);
  if (sequence_writes)
    unsupported("EXPLAIN of nextval()/setval()", n);
  statement st;
  st.kind = stmt_kind::select;
  st.sql = "SELECT detail AS \"QUERY PLAN\" FROM themis_explain(" +
           quote_literal(out.sql) + ")";
  st.columns = {{"QUERY PLAN", oid::text}};
  st.tag = "EXPLAIN";
  st.returns_rows = true;
  return st;
}

} // namespace themis::sql::detail
