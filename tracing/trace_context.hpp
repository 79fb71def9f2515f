#pragma once
/// W3C Trace Context (traceparent / tracestate, Level 1): the identity of
/// a span as it crosses a process boundary. Pure functions, no CAF: the
/// codec every front-end (HTTP/1.1, h2, MQTT 5 user properties, PG
/// application_name) uses to join a caller's trace.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace themis::tracing {

using trace_id = std::array<uint8_t, 16>;
using span_id = std::array<uint8_t, 8>;

struct trace_context {
  trace_id trace{};
  span_id span{}; ///< the parent's span id when received
  bool sampled = false;
  std::string tracestate; ///< passed on unchanged (vendor entries)
};

/// Parses a `traceparent` header value. Per the spec: version 00 must be
/// exactly 55 characters; a higher version is read by its first four
/// fields; version ff, upper-case hex, all-zero ids and bad lengths are
/// invalid (nullopt: the request starts a new trace).
std::optional<trace_context> parse_traceparent(std::string_view value);

/// `00-<trace>-<span>-<flags>`.
std::string format_traceparent(const trace_id& t, const span_id& s,
                               bool sampled);

/// A `tracestate` value kept only if it is well formed enough to pass on:
/// at most 512 characters and 32 list members, printable ASCII.
std::string sanitize_tracestate(std::string_view value);

/// Lower-case hex of an id.
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& id) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = digits[id[i] >> 4];
    out[2 * i + 1] = digits[id[i] & 15];
  }
  return out;
}

/// Fresh random ids (never all zero).
trace_id new_trace_id();
span_id new_span_id();

} // namespace themis::tracing
