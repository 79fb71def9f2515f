#pragma once
/// A circuit breaker (closed → open → half-open → closed) around a
/// dependency such as the store writer: when the failure ratio over a
/// window passes the threshold it opens, and callers fail fast instead of
/// queueing behind a broken dependency; after `open` it lets a few trial
/// requests through and closes if they succeed. Thread-safe; the clock is
/// passed in (tests use a fake one).

#include <atomic>
#include <cstdint>
#include <mutex>

namespace themis::limits {

struct breaker_config {
  bool enabled = true;
  double failure_ratio = 0.5; ///< open at this share of failures …
  uint32_t min_requests = 20; ///< … once the window has this many
  int64_t window_ns = 10'000'000'000;
  int64_t open_ns = 5'000'000'000; ///< fail fast this long, then try
  uint32_t half_open_requests = 5; ///< trial requests; all must succeed
};

enum class breaker_state : uint8_t { closed = 0, open = 1, half_open = 2 };

const char* to_string(breaker_state s);

class circuit_breaker {
public:
  explicit circuit_breaker(breaker_config cfg = {});

  /// May a request go to the dependency now?
  bool allow(int64_t now_ns);
  /// The outcome of a request that `allow` let through.
  void record(bool success, int64_t now_ns);
  /// A request `allow` let through will never have an outcome (its caller
  /// went away): give a half-open trial slot back.
  void cancel_trial();
  /// The state as of `now`: an open breaker whose time is up reports
  /// half-open even before a request arrives (readiness probes).
  breaker_state state_at(int64_t now_ns);

  breaker_state state() const { return state_.load(); }
  std::atomic<uint64_t> rejected{0}; ///< requests failed fast
  std::atomic<uint64_t> opened{0};   ///< times it opened

private:
  void open(int64_t now_ns);

  breaker_config cfg_;
  std::mutex mtx_;
  std::atomic<breaker_state> state_{breaker_state::closed};
  int64_t window_start_ = 0;
  uint64_t successes_ = 0;
  uint64_t failures_ = 0;
  int64_t opened_at_ = 0;
  uint32_t trials_ = 0;       ///< half-open requests let through
  uint32_t trial_passes_ = 0; ///< … that succeeded
};

} // namespace themis::limits
