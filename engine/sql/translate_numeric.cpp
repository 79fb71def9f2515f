/// Exact numeric in functions and aggregates (issue 36; pg_numeric.hpp,
/// sql_functions_numeric.cpp).
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

bool integral(uint32_t t) {
  return t == oid::int2 || t == oid::int4 || t == oid::int8;
}

} // namespace

std::optional<expr> translator::tr_numeric_func(const std::string& name,
                                                const json& n,
                                                const std::vector<expr>& args,
                                                scope& sc) {
  bool agg = name == "sum" || name == "avg" || name == "min" || name == "max" ||
             name == "count";
  bool scalar = name == "round" || name == "trunc" || name == "ceil" ||
                name == "ceiling" || name == "floor" || name == "abs" ||
                name == "sign";
  if ((!agg && !scalar) || args.empty())
    return std::nullopt;
  auto t = args[0].type;
  auto& b = body(n);
  if (scalar) {
    // round(x, n) and trunc(x, n) exist for numeric only; the one-argument
    // forms of an integer or float resolve to float8 in PostgreSQL
    bool places = (name == "round" || name == "trunc") && args.size() == 2;
    if (t != oid::numeric && !(places && (integral(t) || !t)))
      return std::nullopt; // the float path (themis_round …)
    std::string f = name == "ceiling" ? "ceil" : name;
    std::string s = "themis_num_" + f + "(" + args[0].sql;
    for (size_t i = 1; i < args.size(); ++i)
      s += ", " + args[i].sql;
    return expr{s + ")", oid::numeric};
  }
  if (args.size() != 1 || b.value("agg_star", false))
    return std::nullopt;
  if (!sc.aggregates_allowed)
    throw sql_error("42803",
                    "aggregate functions are not allowed in this context",
                    location(n));
  std::string distinct = b.value("agg_distinct", false) ? "DISTINCT " : "";
  if (name == "count") { // count(DISTINCT x): 3.0 and 3 are one value
    if (t != oid::numeric || distinct.empty())
      return std::nullopt;
    return expr{"count(DISTINCT themis_num(" + args[0].sql +
                  ") COLLATE themis_num)",
                oid::int8};
  }
  if (name == "min" || name == "max") {
    if (t != oid::numeric)
      return std::nullopt;
    return expr{name + "(" + distinct + "themis_num(" + args[0].sql +
                  ") COLLATE themis_num)",
                t};
  }
  // sum(numeric), sum(int8) and avg of any integer or numeric are numeric
  bool exact = t == oid::numeric || (name == "sum" && t == oid::int8) ||
               (name == "avg" && (integral(t) || !t));
  if (!exact)
    return std::nullopt;
  auto arg = args[0].sql;
  if (!distinct.empty())
    arg = "themis_num(" + arg + ") COLLATE themis_num";
  return expr{"themis_num_" + name + "(" + distinct + arg + ")", oid::numeric};
}

} // namespace themis::sql::detail
