#pragma once
/// Request validation against the handler registry's JSON Schemas (issue
/// 22), before the handler runs: the body of a JSON request and the
/// declared query parameters. Schemas are compiled once (valijson) when the
/// registry is built; a request that fails gets 400 as RFC 9457
/// application/problem+json with one entry per violation (its JSON
/// Pointer) and ThemisDB's error fields.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/json_schema.hpp"
#include "themis/api_message.hpp"

namespace themis {

class route_registry;
struct route_op;

/// Compiles every operation's body and query schema (std::logic_error on a
/// schema valijson refuses: a programming error found at start).
void compile_route_schemas(route_registry& reg);

/// The 400 for a request `op` refuses, or nothing. A body that is empty,
/// not JSON, or not an object where the schema wants one is left to the
/// handler (its own message); depth limits are the JSON parser's
/// (limits.max_json_depth).
std::optional<api_response> validate_request(const route_op& op,
                                             const api_request& req);

/// Violations of `value` against `op`'s body schema, as the problem's
/// `errors` entries ({"in", "pointer", "detail"}); at most `max` of them.
nlohmann::json body_violations(const route_op& op, const nlohmann::json& value,
                               size_t max = 20);

/// The declared query parameters of `query` (raw query string) as a JSON
/// object, each value typed as its schema says when it reads as one
/// ("5" → 5 for an integer) so type errors name the parameter.
nlohmann::json query_object(const nlohmann::json& schema,
                            const std::string& query);

/// valijson's context as a JSON Pointer fragment (engine/json_schema.hpp).
using engine::pointer_of;

} // namespace themis
