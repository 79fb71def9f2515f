#pragma once
/// Admission control in front of a queue-owning actor (the store writer):
/// refuse new work at once — the protocol's busy answer — instead of
/// queueing it behind a backlog that will not drain in time. Three signals:
/// - queue depth: requests sent and not yet answered, over `max_queue`;
/// - CoDel: the time requests waited before the consumer took them
///   (sojourn) stayed above `target` for a whole `interval` (a standing
///   queue, not a burst), until one is seen below target again;
/// - stall: the consumer has been busy with one operation for longer than
///   `target` while requests wait (a stuck disk shows no sojourn at all).
/// Lock-free; the clock is passed in.

#include <atomic>
#include <cstdint>

namespace themis::limits {

class admission {
public:
  struct config {
    int64_t max_queue = 10000;
    int64_t target_ns = 100'000'000;
    int64_t interval_ns = 500'000'000;
  };

  void configure(config c) { cfg_ = c; }

  /// Whether to queue one more request now.
  bool admit(int64_t now_ns);
  void enqueued() { queued_.fetch_add(1, std::memory_order_relaxed); }
  void dequeued() {
    // an empty queue is no standing queue: forget an old slow wait
    if (queued_.fetch_sub(1, std::memory_order_relaxed) == 1)
      first_above_.store(unset, std::memory_order_relaxed);
  }

  /// Consumer side: a request waited `sojourn_ns` before it was taken.
  void observe_sojourn(int64_t sojourn_ns, int64_t now_ns);
  /// Consumer side: busy since `since_ns` with `taken` requests (0: idle
  /// again). Those are being served, not waiting.
  void busy(int64_t since_ns, int64_t taken = 0) {
    busy_taken_.store(taken);
    busy_since_.store(since_ns);
  }

  int64_t queued() const { return queued_.load(); }
  bool dropping() const { return dropping_.load(); }
  std::atomic<uint64_t> shed{0}; ///< requests refused

private:
  config cfg_;
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> first_above_{unset};
  static constexpr int64_t unset = INT64_MIN;
  std::atomic<bool> dropping_{false};
  std::atomic<int64_t> busy_since_{0};
  std::atomic<int64_t> busy_taken_{0};
};

} // namespace themis::limits
