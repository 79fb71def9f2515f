#pragma once
/// gRPC status codes (google.rpc.Code), the grpc-message percent-encoding,
/// grpc-timeout, and the mapping from the HTTP statuses of the handlers
/// underneath (docs/grpc.md has the table).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace themis::grpc {

enum class code : int {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

std::string_view code_name(code c);

/// The status a handler's HTTP answer means (400 → INVALID_ARGUMENT,
/// 401 → UNAUTHENTICATED, 412 → FAILED_PRECONDITION, 429 →
/// RESOURCE_EXHAUSTED, 503 → UNAVAILABLE …); 2xx/304 → OK.
code from_http(int status);

/// grpc-message: UTF-8 with everything outside 0x20–0x7e and '%' written
/// as %XX (PROTOCOL-HTTP2.md); at most `max` input bytes are kept.
std::string percent_encode(std::string_view msg, size_t max = 4096);
/// The inverse; a malformed %XX stays as it is (the spec's advice).
std::string percent_decode(std::string_view msg);

/// grpc-timeout: 1–8 ASCII digits and a unit (H M S m u n), in
/// milliseconds (rounded up; capped at 2^31 ms). nullopt if malformed.
std::optional<uint64_t> parse_timeout_ms(std::string_view value);

} // namespace themis::grpc
