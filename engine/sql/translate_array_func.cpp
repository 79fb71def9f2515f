/// The array functions (issue 36): array_length, cardinality, array_agg,
/// array_position, array_append … translated to the SQLite functions of
/// sql_functions_array.cpp, and ARRAY(subquery).

#include <unordered_set>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

std::optional<expr> translator::tr_array_func(const std::string& name,
                                              const json& n, scope& sc) {
  static const std::unordered_set<std::string> names = {
    "array_length",    "array_upper",     "array_lower",    "cardinality",
    "array_ndims",     "array_dims",      "array_position", "array_positions",
    "array_append",    "array_prepend",   "array_cat",      "array_remove",
    "array_to_string", "string_to_array", "array_agg",      "array_replace",
    "array_to_json",   "to_json",         "to_jsonb"};
  if (!names.count(name))
    return std::nullopt;
  auto& b = body(n);
  auto argn = b.value("args", json::array());
  auto wrong = [&]() -> std::optional<expr> {
    throw sql_error("42883",
                    "function " + name + " with " +
                      std::to_string(argn.size()) + " arguments does not exist",
                    location(n));
  };
  // the array argument first: its type types the others
  auto array_arg = [&](const json& x) {
    if (node_type(x) == "A_ArrayExpr")
      return tr_array_ctor(x, sc);
    hint_param(x, oid::text_array);
    auto e = tr(x, sc);
    if (!is_array_type(e.type)) {
      if (e.type && e.type != oid::text && e.type != oid::unknown)
        throw sql_error("42883",
                        "function " + name + "(" + type_name(e.type) +
                          ") does not exist",
                        location(n));
      if (node_type(x) == "A_Const")
        e.sql = cast_to(e, oid::text_array);
      e.type = oid::text_array;
    }
    return e;
  };
  auto elem_arg = [&](const json& x, uint32_t elem) {
    hint_param(x, elem);
    return tr(x, sc).sql;
  };
  auto num_arg = [&](const json& x) {
    hint_param(x, oid::int4);
    return tr(x, sc).sql;
  };
  if (name == "array_agg") {
    if (argn.size() != 1)
      return wrong();
    if (!sc.aggregates_allowed)
      throw sql_error("42803",
                      "aggregate functions are not allowed in this context",
                      location(n));
    hint_param(argn[0], oid::text);
    auto x = tr(argn[0], sc);
    bool nested = is_array_type(x.type);
    uint32_t elem = nested ? element_type_of(x.type) : x.type;
    if (!elem || elem == oid::unknown)
      elem = oid::text;
    auto arr = array_type_of(elem);
    if (!arr)
      unsupported(std::string("array_agg of type ") + type_name(elem), n);
    std::string agg =
      "themis_array_agg(" +
      std::string(b.value("agg_distinct", false) ? "DISTINCT " : "") + x.sql +
      ")";
    if (b.contains("agg_order")) { // sorted when the group ends
      if (b.value("agg_distinct", false))
        unsupported("array_agg(DISTINCT … ORDER BY …)", n);
      agg = "themis_array_agg_ord(" + x.sql;
      for (auto& s : b.at("agg_order")) {
        auto& sb = body(s);
        auto dir = sb.value("sortby_dir", "SORTBY_DEFAULT");
        auto nulls = sb.value("sortby_nulls", "SORTBY_NULLS_DEFAULT");
        if (dir == "SORTBY_USING")
          unsupported("ORDER BY USING", s);
        bool desc = dir == "SORTBY_DESC";
        // PostgreSQL: NULLs sort as larger than every value
        bool nulls_first = nulls == "SORTBY_NULLS_FIRST" ||
                           (nulls == "SORTBY_NULLS_DEFAULT" && desc);
        agg += ", " + tr(sb.at("node"), sc).sql + ", " +
               std::to_string((desc ? 1 : 0) | (nulls_first ? 2 : 0));
      }
      agg += ")";
    }
    return expr{"themis_array_fix(" + agg + ", " + std::to_string(elem) + ", " +
                  (nested ? "1" : "0") + ")",
                arr};
  }
  if (name == "to_json" || name == "to_jsonb" || name == "array_to_json") {
    // an array is its JSON array; anything else as before (to_json)
    if (argn.size() != 1 && name != "array_to_json")
      return wrong();
    if (argn.empty())
      return wrong();
    auto x = tr(argn[0], sc);
    auto t = name == "to_jsonb" ? oid::jsonb : oid::json;
    if (is_array_type(x.type))
      return expr{"json(themis_array_json(" + x.sql + ", " +
                    std::to_string(element_type_of(x.type)) + "))",
                  t};
    if (name == "array_to_json")
      throw sql_error("42883",
                      std::string("function array_to_json(") +
                        type_name(x.type ? x.type : oid::unknown) +
                        ") does not exist",
                      location(n));
    return expr{"themis_to_json(" + x.sql + ")", t};
  }
  if (name == "string_to_array") {
    if (argn.size() < 2 || argn.size() > 3)
      return wrong();
    std::string a;
    for (auto& x : argn) {
      hint_param(x, oid::text);
      a += (a.empty() ? "" : ", ") + tr(x, sc).sql;
    }
    return expr{"themis_string_to_array(" + a + ")", oid::text_array};
  }
  if (name == "array_prepend") {
    if (argn.size() != 2)
      return wrong();
    auto a = array_arg(argn[1]);
    auto elem = element_type_of(a.type);
    return expr{"themis_array_prepend(" + elem_arg(argn[0], elem) + ", " +
                  a.sql + ", " + std::to_string(elem) + ")",
                a.type};
  }
  if (argn.empty())
    return wrong();
  auto a = array_arg(argn[0]);
  auto elem = element_type_of(a.type);
  auto e = std::to_string(elem);
  auto argc = argn.size();
  if (name == "cardinality" || name == "array_ndims" || name == "array_dims") {
    if (argc != 1)
      return wrong();
    return expr{"themis_" + name + "(" + a.sql + ")",
                name == "array_dims" ? oid::text : oid::int4};
  }
  if (name == "array_length" || name == "array_upper" ||
      name == "array_lower") {
    if (argc != 2)
      return wrong();
    auto what = name == "array_length"  ? "0"
                : name == "array_lower" ? "1"
                                        : "2";
    return expr{"themis_array_dim(" + a.sql + ", " + num_arg(argn[1]) + ", " +
                  what + ")",
                oid::int4};
  }
  if (name == "array_position" || name == "array_positions") {
    if (argc < 2 || argc > (name == "array_position" ? 3u : 2u))
      return wrong();
    auto s = "themis_" + name + "(" + a.sql + ", " + elem_arg(argn[1], elem) +
             ", " + e;
    if (argc == 3)
      s += ", " + num_arg(argn[2]);
    return expr{s + ")",
                name == "array_position" ? oid::int4 : oid::int4_array};
  }
  if (name == "array_append" || name == "array_remove") {
    if (argc != 2)
      return wrong();
    return expr{"themis_" + name + "(" + a.sql + ", " +
                  elem_arg(argn[1], elem) + ", " + e + ")",
                a.type};
  }
  if (name == "array_replace") {
    if (argc != 3)
      return wrong();
    return expr{"themis_array_replace(" + a.sql + ", " +
                  elem_arg(argn[1], elem) + ", " + elem_arg(argn[2], elem) +
                  ", " + e + ")",
                a.type};
  }
  if (name == "array_cat") {
    if (argc != 2)
      return wrong();
    hint_param(argn[1], a.type);
    auto r = tr(argn[1], sc);
    if (node_type(argn[1]) == "A_Const")
      r.sql = cast_to(r, a.type);
    return expr{"themis_array_cat(" + a.sql + ", " + r.sql + ", " + e + ")",
                a.type};
  }
  // array_to_string(array, sep [, null_string])
  if (argc < 2 || argc > 3)
    return wrong();
  std::string s =
    "themis_arr_to_string(" + a.sql + ", " + std::to_string(a.type);
  for (size_t i = 1; i < argc; ++i) {
    hint_param(argn[i], oid::text);
    s += ", " + tr(argn[i], sc).sql;
  }
  return expr{s + ")", oid::text};
}

} // namespace themis::sql::detail
