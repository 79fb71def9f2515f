#pragma once
/// Small helpers shared by the REST handlers: JSON responses, the ThemisDB
/// error body, query parameters, ETags and engine status mapping.

#include <optional>
#include <string>
#include <string_view>

#include <functional>
#include <nlohmann/json_fwd.hpp>

#include "engine/write_types.hpp"
#include "handlers/handler_env.hpp"
#include "themis/api_message.hpp"

namespace themis {

api_response json_response(int status, std::string body);

/// Compact JSON text; invalid UTF-8 in strings becomes U+FFFD instead of
/// throwing (bodies must always render).
std::string dump(const nlohmann::json& j);

/// `{"error":true,"message":…,"status_code":N}`.
api_response error_response(int status, std::string_view message);

/// Parses a client's JSON text under limits.max_json_depth (issue 17).
/// Nested too deep: the 400 to send, naming the limit. Malformed: nothing
/// is returned and `out` is discarded, so the caller says what it expected.
std::optional<api_response> parse_json_body(std::string_view text,
                                            nlohmann::json& out);

/// 429 with Retry-After and, in the body, `retry_after_seconds` (what
/// ThemisDB's clients read); `retry_s` is at least 1.
api_response too_many_response(std::string_view message, int64_t retry_s);

/// Decoded value of a query parameter (`+` and %XX decoded), if present.
std::optional<std::string> query_param(std::string_view query,
                                       std::string_view name);

/// Parses a whole string as an unsigned decimal integer.
bool parse_uint(std::string_view s, uint64_t& out);

/// HTTP status for an engine operation status.
int http_status(engine::op_status s);

/// `"rev"` as an entity tag, and back (accepts W/ and unquoted forms).
std::string make_etag(std::string_view rev);
std::string parse_etag(std::string_view tag);

/// 503 for a write that did not reach the engine, with Retry-After when it
/// was refused by overload protection.
api_response unavailable_response(const engine::write_result& res);

/// Submits one write operation. A failure (engine status, commit error,
/// writer unavailable) is answered with the error body; on success
/// `ok(result, http_status)` builds the answer.
void submit_single(
  write_port& writer, engine::write_op op, responder respond,
  std::function<api_response(const engine::op_result&, int)> ok);

/// True if the media type of Content-Type equals `type` (params ignored).
bool has_content_type(const api_request& req, std::string_view type);

} // namespace themis
