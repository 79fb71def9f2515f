#pragma once
/// The rate-limit algorithms as plain state + pure functions of a clock
/// value (nanoseconds), so tests drive them with a fake clock and the
/// limiter stores them in a table without virtual calls.

#include <cstdint>
#include <deque>
#include <string>

namespace themis::limits {

enum class algorithm : uint8_t {
  token_bucket,           ///< rate + burst, smooth refill
  sliding_window_counter, ///< two fixed windows, weighted (Cloudflare-style)
  sliding_window_log,     ///< exact: one timestamp per admitted request
};

/// Parses "token_bucket" | "sliding_window_counter" | "sliding_window_log".
bool parse_algorithm(const std::string& s, algorithm& out);

/// A limit: `limit` requests per `window_ns`, `burst` for the token bucket
/// (0 = limit).
struct limit_spec {
  uint64_t limit = 100;
  int64_t window_ns = 1'000'000'000;
  uint64_t burst = 0;
  uint64_t capacity() const { return burst ? burst : limit; }
};

/// The answer a protocol turns into its own fields (X-RateLimit-*,
/// RateLimit, Retry-After, MQTT reason codes, PG SQLSTATE).
struct decision {
  bool allowed = true;
  uint64_t limit = 0;         ///< requests per window
  uint64_t remaining = 0;     ///< after this request
  int64_t reset_ns = 0;       ///< until the quota is fully restored
  int64_t retry_after_ns = 0; ///< when refused: until one request fits
};

struct bucket_state {
  // token bucket: tokens scaled by `window_ns` to stay integral
  int64_t updated_ns = 0;
  double tokens = -1; ///< < 0: fresh (full)
  // sliding window counter
  int64_t window_start_ns = 0;
  uint64_t current = 0;
  uint64_t previous = 0;
  // sliding window log
  std::deque<int64_t> log;
};

/// Takes one request at `now_ns` if the state allows it.
decision take(algorithm a, const limit_spec& spec, bucket_state& st,
              int64_t now_ns);

} // namespace themis::limits
