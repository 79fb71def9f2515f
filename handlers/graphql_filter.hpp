#pragma once
/// GraphQL list arguments (`filter: JSON`, `sort: [SortInput!]`) as AQL
/// text over bind parameters, so a list field runs through the existing
/// AQL engine and its FILTER push-down (engine/aql/pushdown.cpp) instead
/// of a query engine of its own. Pure: no engine, no I/O; every input is
/// a hostile client's JSON, bounded in depth and size before recursion.
///
/// Filter language (an object; its entries are ANDed):
///   {"status": "open"}                    equality
///   {"age": {"gte": 18, "lt": 65}}        operators: eq ne gt gte lt lte
///                                         in nin (arrays) like exists
///   {"address.city": "Bonn"}              a dotted path into the document
///   {"_or": [{…}, {…}]}, {"_and": […]}, {"_not": {…}}

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace themis::gql {

struct filter_limits {
  size_t max_depth = 16;  ///< nesting of _and/_or/_not and operator objects
  size_t max_nodes = 256; ///< conditions and combinators in all
  size_t max_in = 1000;   ///< elements of an `in`/`nin` array
  size_t max_path = 256;  ///< bytes of one field path
};

/// What a translation produced: an AQL boolean expression over the loop
/// variable and the bind parameters it uses (`@gf0`, `@gf1` …), or the
/// message of a BAD_USER_INPUT error.
struct aql_condition {
  std::string text; ///< "" when the filter is empty (no condition)
  nlohmann::json binds = nlohmann::json::object();
  std::string error;
  bool ok() const { return error.empty(); }
};

/// `filter` (null or an object) as a condition on variable `var`.
aql_condition filter_to_aql(const nlohmann::json& filter,
                            const std::string& var,
                            const filter_limits& limits = {});

/// `sort` (null or a list of {field, direction: "ASC"|"DESC"}) as the
/// expressions of a SORT clause, always ending with `var._key` so pages
/// are stable; `reverse` flips every direction (a `last` page). The
/// error text is set on a bad input.
std::string sort_to_aql(const nlohmann::json& sort, const std::string& var,
                        bool reverse, std::string& error, size_t max_keys = 8);

/// `a.b.c` as AQL attribute access on `var` with every segment
/// backtick-quoted; empty segments, backticks, backslashes and control
/// characters are refused (nullopt).
std::optional<std::string> field_path(const std::string& path,
                                      const std::string& var,
                                      size_t max_bytes = 256);

} // namespace themis::gql
