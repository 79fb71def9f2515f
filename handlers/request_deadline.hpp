#pragma once
/// A deadline the caller's protocol carries (issue 20: gRPC's
/// `grpc-timeout`, Connect's `connect-timeout-ms`), handed to the work a
/// request starts: the gRPC front-end stamps the call, rest_request_of
/// copies the stamp onto each REST request a service makes, and the query
/// handlers stop the engine there (run_limits::deadline) instead of at
/// their configured timeout, so an expired call stops costing CPU.
///
/// The stamp is an absolute steady-clock time in a header, so a request
/// made late in a call (a streamed query's next batch) gets only what is
/// left. A client may send the header itself: it can only shorten its own
/// query's time limit, never lengthen it.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis {

inline constexpr std::string_view deadline_header = "x-themis-deadline-ms";

/// Stamps `req` with a deadline `timeout_ms` from now (replacing a stamp
/// the client sent).
inline void stamp_deadline(api_request& req, uint64_t timeout_ms) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  std::erase_if(req.headers,
                [](auto& h) { return iequals(h.first, deadline_header); });
  req.headers.emplace_back(
    std::string(deadline_header),
    std::to_string(
      now + static_cast<int64_t>(std::min<uint64_t>(timeout_ms, 1ull << 40))));
}

/// The earlier of `fallback` and the request's stamped deadline.
inline std::chrono::steady_clock::time_point
request_deadline(const api_request& req,
                 std::chrono::steady_clock::time_point fallback) {
  auto v = req.header(deadline_header);
  if (!v)
    return fallback;
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
  if (ec != std::errc() || p != v->data() + v->size() || ms < 0)
    return fallback;
  std::chrono::steady_clock::time_point at{std::chrono::milliseconds(ms)};
  return at < fallback ? at : fallback;
}

} // namespace themis
