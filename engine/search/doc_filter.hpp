#pragma once
/// The metadata filter of /vector/search (ThemisDB's shapes): an object
/// `{"field": value, …}` (equality, AND) or an array of conditions
/// `[{"field","op","value"|"values"|"min"/"max"}]` with op EQ|EQUALS, NE|
/// NOT_EQUALS, GT, GTE, LT, LTE, IN, RANGE, CONTAINS. Pure.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::search {

inline constexpr size_t max_filter_conditions = 32;

struct condition {
  enum class op { eq, ne, gt, gte, lt, lte, in, range, contains };
  std::string field;
  op kind = op::eq;
  nlohmann::json value;  ///< eq/ne/gt…/contains; the list for in
  nlohmann::json lo, hi; ///< range (either may be null)
};

/// Reads a filter; "" or the reason (for a 400). Null means no filter.
std::string parse_filter(const nlohmann::json& j, std::vector<condition>& out);

/// Whether `doc` satisfies every condition.
bool matches(const nlohmann::json& doc, const std::vector<condition>& conds);

} // namespace themis::search
