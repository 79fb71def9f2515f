#pragma once
/// The Connect protocol (connectrpc.com/docs/protocol) beside gRPC: error
/// codes by name and their HTTP statuses, the JSON error body, the
/// end-stream message of streaming calls (envelope flag 0x02) and
/// `connect-timeout-ms`. Pure functions; codes are google.rpc.Code values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::grpc {

/// The end-stream flag of a Connect envelope.
inline constexpr uint8_t connect_end_stream_flag = 0x02;

/// "not_found", "invalid_argument" … ("canceled" for 1, "unknown" for a
/// code outside 1–16).
std::string_view connect_code_name(int code);
/// The HTTP status of a unary error (the spec's table: not_found 404,
/// unauthenticated 401, unavailable 503, unimplemented 501 …).
int connect_http_status(int code);
/// `{"code":…,"message":…,"details":[]}`.
std::string connect_error_json(int code, std::string_view message);
/// The end-stream message's JSON: `{"metadata":{…}}` on OK, plus
/// `"error":{…}` otherwise; metadata values as arrays of strings.
std::string connect_end_stream_json(
  int code, std::string_view message,
  const std::vector<std::pair<std::string, std::string>>& metadata);
/// A Connect envelope (flags, 4-byte big-endian length, payload).
void append_envelope(std::string& out, uint8_t flags, std::string_view payload);

/// connect-timeout-ms: 1–10 ASCII digits; nullopt otherwise. Capped at
/// 2^31 ms like grpc-timeout.
std::optional<uint64_t> parse_connect_timeout_ms(std::string_view value);

} // namespace themis::grpc
