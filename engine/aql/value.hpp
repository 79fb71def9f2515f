#pragma once
/// AQL value semantics over nlohmann::json (ArangoDB rules): the type
/// order null < bool < number < string < array < object for comparison
/// and sorting, truthiness, and the implicit conversions functions and
/// operators use.

#include <nlohmann/json.hpp>
#include <string>

namespace themis::aql {

using json = nlohmann::json;

/// Total order: <0, 0, >0. Numbers compare by value (int and float mix),
/// strings bytewise, arrays element by element (shorter first), objects by
/// their sorted keys then values.
int compare(const json& a, const json& b);

/// AQL equality (`==`): same type class and compare() == 0.
bool equals(const json& a, const json& b);

/// null, false, 0, "" are false; everything else (also [] and {}) is true.
bool truthy(const json& v);

/// TO_NUMBER rules: null/false → 0, true → 1, numeric strings → the number,
/// other strings → 0, [] → 0, [x] → to_number(x), other arrays/objects → 0.
double to_number(const json& v);

/// TO_STRING rules: null → "", booleans "true"/"false", numbers without a
/// trailing ".0", arrays/objects as compact JSON.
std::string to_string(const json& v);

/// A number result: integral doubles in int64 range become integers so
/// `1 + 1` prints 2, not 2.0; NaN/Inf become null (as in ArangoDB).
json number(double d);

/// The type name used by TYPENAME(): "null", "bool", "number", "string",
/// "array", "object".
const char* type_name(const json& v);

} // namespace themis::aql
