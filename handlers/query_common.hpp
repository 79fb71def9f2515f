#pragma once
/// What the synchronous query routes and the job manager share: reading a
/// query request body and mapping AQL errors to HTTP answers.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/aql/aql_error.hpp"
#include "themis/api_message.hpp"

namespace themis {

struct query_request {
  std::string query;
  nlohmann::json bind_vars = nlohmann::json::object();
  nlohmann::json body; ///< the whole request object (other fields)
};

/// Parses `{"query": "...", "bindVars"|"bind_vars": {...}, ...}`; on a bad
/// body returns the 400 answer instead.
std::optional<api_response> read_query_request(const api_request& req,
                                               query_request& out);

/// HTTP status for an AQL error kind.
int aql_status(aql::error_kind k);

/// The ThemisDB error body plus `error_kind`, `line` and `column`.
api_response aql_error_response(const aql::aql_error& e);

/// Short name of an error kind ("parse", "timeout" …) for bodies and logs.
const char* aql_kind_name(aql::error_kind k);

} // namespace themis
