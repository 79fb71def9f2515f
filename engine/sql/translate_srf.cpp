/// PostgreSQL's JSON and regular-expression set-returning functions
/// (jsonb_each, jsonb_array_elements, jsonb_object_keys, regexp_matches,
/// regexp_split_to_table and their json/_text forms) as the table-valued
/// function themis_srf (sql_json_srf.cpp): in FROM they may name the FROM
/// items before them, as PostgreSQL's implicit LATERAL for functions does.

#include "engine/sql/pg_array.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

struct srf_shape {
  const char* kind;
  std::vector<std::pair<std::string, uint32_t>> cols; ///< PG names, types
  size_t min_args, max_args;
};

std::optional<srf_shape> shape_of(const std::string& f) {
  bool b = f.rfind("jsonb", 0) == 0;
  uint32_t j = b ? oid::jsonb : oid::json;
  if (f == "json_each" || f == "jsonb_each")
    return srf_shape{"each", {{"key", oid::text}, {"value", j}}, 1, 1};
  if (f == "json_each_text" || f == "jsonb_each_text")
    return srf_shape{
      "each_text", {{"key", oid::text}, {"value", oid::text}}, 1, 1};
  if (f == "json_array_elements" || f == "jsonb_array_elements")
    return srf_shape{"elements", {{"value", j}}, 1, 1};
  if (f == "json_array_elements_text" || f == "jsonb_array_elements_text")
    return srf_shape{"elements_text", {{"value", oid::text}}, 1, 1};
  if (f == "json_object_keys" || f == "jsonb_object_keys")
    return srf_shape{"keys", {{f, oid::text}}, 1, 1};
  if (f == "regexp_matches")
    return srf_shape{"matches", {{f, oid::text_array}}, 2, 3};
  if (f == "regexp_split_to_table")
    return srf_shape{"split", {{f, oid::text}}, 2, 3};
  return std::nullopt;
}

} // namespace

std::optional<std::string> translator::json_srf_select(const json& call,
                                                       const std::string& fname,
                                                       uint32_t& type,
                                                       scope& sc) {
  auto shape = shape_of(fname);
  if (!shape)
    return std::nullopt;
  if (shape->cols.size() != 1)
    unsupported(fname + "() in the select list (use it in FROM)", call);
  auto args = body(call).value("args", json::array());
  if (args.size() < shape->min_args || args.size() > shape->max_args)
    throw sql_error("42883",
                    "function " + fname + " with " +
                      std::to_string(args.size()) + " arguments does not exist",
                    location(call));
  std::string sql = "themis_srf('" + std::string(shape->kind) + "'";
  for (auto& a : args) {
    hint_param(a, shape->kind[0] == 'm' || shape->kind[0] == 's' ? oid::text
                                                                 : oid::jsonb);
    sql += ", " + tr(a, sc).sql;
  }
  type = shape->cols[0].second;
  return sql + ")";
}

/// unnest(a [, b …]) in FROM as table-valued functions, zipped on their
/// row numbers, so the arrays may come from earlier FROM items (Django's
/// `FROM pg_index i, unnest(i.indkey, i.indoption) WITH ORDINALITY
/// koi(key, option, arridx)`); shorter arrays are padded with NULLs.
std::string translator::unnest_from(const json& node, const json& call,
                                    scope& sc) {
  auto& b = body(node);
  auto args = body(call).value("args", json::array());
  if (args.empty())
    throw sql_error("42883", "function unnest() does not exist",
                    location(call));
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", "unnest") : "unnest";
  std::vector<std::string> names;
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    names = string_list(b.at("alias").at("colnames"));
  scope_item item{alias, {}, nullptr, "", {}};
  std::string sql, ord;
  for (size_t k = 0; k < args.size(); ++k) {
    expr a;
    if (node_type(args[k]) == "A_ArrayExpr") {
      a = tr_array_ctor(args[k], sc);
    } else {
      hint_param(args[k], oid::text_array);
      a = tr(args[k], sc);
    }
    if (!is_array_type(a.type))
      a.type = oid::text_array; // an array's text form: text elements
    auto elem = element_type_of(a.type);
    auto fn = "themis_unnest(" + a.sql + ", " + std::to_string(elem) + ")";
    auto part = k == 0 ? alias : alias + "_" + std::to_string(k + 1);
    // the row number so far: the arrays run side by side, padded with
    // NULLs to the longest (a FULL JOIN on the element number)
    if (k == 0) {
      sql = fn + " AS " + quote_ident(part);
      ord = quote_ident(part) + ".ordinality";
    } else {
      sql += " FULL JOIN " + fn + " AS " + quote_ident(part) + " ON " +
             quote_ident(part) + ".ordinality = " + ord;
      ord = "COALESCE(" + ord + ", " + quote_ident(part) + ".ordinality)";
    }
    auto name = k < names.size()                          ? names[k]
                : args.size() == 1 && b.contains("alias") ? alias
                                                          : "unnest";
    item.cols.push_back({name, elem});
    item.col_sql.push_back(quote_ident(part) + ".\"v\"");
  }
  if (b.value("ordinality", false)) {
    item.cols.push_back({args.size() < names.size() ? names[args.size()]
                                                    : std::string("ordinality"),
                         oid::int8});
    item.col_sql.push_back(ord);
  }
  if (names.size() > item.cols.size())
    throw sql_error(
      "42P10", "table \"" + alias + "\" has " +
                 std::to_string(item.cols.size()) + " columns available but " +
                 std::to_string(names.size()) + " columns specified");
  sc.items.push_back(std::move(item));
  return sql;
}

std::optional<std::string> translator::json_srf_from(const json& node,
                                                     const json& call,
                                                     const std::string& fname,
                                                     scope& sc) {
  if (fname == "unnest")
    return unnest_from(node, call, sc);
  auto shape = shape_of(fname);
  if (!shape) // a set-returning user function (translate_udf_call.cpp)
    return user_func_from(node, call, fname, sc);
  auto& b = body(node);
  auto args = body(call).value("args", json::array());
  if (args.size() < shape->min_args || args.size() > shape->max_args)
    throw sql_error("42883",
                    "function " + fname + " with " +
                      std::to_string(args.size()) + " arguments does not exist",
                    location(call));
  std::string sql = "themis_srf('" + std::string(shape->kind) + "'";
  for (auto& a : args) {
    hint_param(a, shape->kind[0] == 'm' || shape->kind[0] == 's' ? oid::text
                                                                 : oid::jsonb);
    sql += ", " + tr(a, sc).sql;
  }
  sql += ")";
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", fname) : fname;
  std::vector<std::string> names;
  if (b.contains("alias") && b.at("alias").contains("colnames"))
    names = string_list(b.at("alias").at("colnames"));
  scope_item item{alias, {}, nullptr, "", {}};
  static const char* own[] = {"c1", "c2"};
  for (size_t i = 0; i < shape->cols.size(); ++i) {
    auto name = i < names.size() ? names[i] : shape->cols[i].first;
    // one column and no column alias: the alias names the column too
    if (shape->cols.size() == 1 && names.empty() && b.contains("alias"))
      name = alias;
    item.cols.push_back({name, shape->cols[i].second});
    item.col_sql.push_back(own[i]);
  }
  if (b.value("ordinality", false)) {
    auto n = shape->cols.size();
    item.cols.push_back(
      {n < names.size() ? names[n] : std::string("ordinality"), oid::int8});
    item.col_sql.push_back("ordinality");
  }
  if (names.size() > item.cols.size())
    throw sql_error(
      "42P10", "table \"" + alias + "\" has " +
                 std::to_string(item.cols.size()) + " columns available but " +
                 std::to_string(names.size()) + " columns specified");
  sc.items.push_back(std::move(item));
  return sql + " AS " + quote_ident(alias);
}

} // namespace themis::sql::detail
