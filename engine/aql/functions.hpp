#pragma once
/// The AQL function library: pure functions of their argument values.
/// Names are matched case-insensitively (callers pass them upper-cased).

#include <cstddef>
#include <string_view>
#include <vector>

#include "engine/aql/value.hpp"

namespace themis::aql {

/// Arity of a known function; `max` is SIZE_MAX for variadic ones.
struct function_arity {
  size_t min = 0;
  size_t max = 0;
};

/// The arity of `upper_name`, or nullptr if no such function exists (the
/// planner answers "unknown function NAME" before running anything).
const function_arity* find_function(std::string_view upper_name);

/// Calls a function. Arity is checked by the planner; wrong argument types
/// give null (ArangoDB's behaviour: a warning, not an error), except where
/// noted in docs/aql.md. Throws aql_error(runtime) only for hard errors.
json call_function(std::string_view upper_name, std::vector<json>& args);

} // namespace themis::aql
