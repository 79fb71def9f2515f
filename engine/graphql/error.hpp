#pragma once
/// A GraphQL error as the spec's response format (section 7.1.2) defines it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/graphql/ast.hpp"

namespace themis::graphql {

struct error {
  std::string message;
  std::vector<location> locations;
  nlohmann::json path; ///< null, or array of field names / list indices
  std::string code;    ///< extensions.code when non-empty

  /// {"message", "locations":[{"line","column"}], "path", "extensions"}.
  nlohmann::json to_json() const;
};

/// Error codes put in extensions.code (GraphQL-over-HTTP tooling and the
/// glue map them to statuses).
namespace codes {
inline constexpr const char* syntax = "GRAPHQL_PARSE_FAILED";
inline constexpr const char* validation = "GRAPHQL_VALIDATION_FAILED";
inline constexpr const char* limit = "GRAPHQL_LIMIT_EXCEEDED";
inline constexpr const char* bad_input = "BAD_USER_INPUT";
inline constexpr const char* operation = "OPERATION_RESOLUTION_FAILURE";
inline constexpr const char* internal = "INTERNAL_SERVER_ERROR";
} // namespace codes

nlohmann::json errors_to_json(const std::vector<error>& errs);

} // namespace themis::graphql
