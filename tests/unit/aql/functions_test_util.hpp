#pragma once
/// Shared by the AQL function tests: JSON literals and calls by name.

#include <string_view>
#include <vector>

#include "engine/aql/functions.hpp"

namespace aql_fn_test {

using themis::aql::json;

inline json j(const char* text) {
  return json::parse(text);
}

inline json call(std::string_view name, std::vector<json> args) {
  return themis::aql::call_function(name, args);
}

} // namespace aql_fn_test
