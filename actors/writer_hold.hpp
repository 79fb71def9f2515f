#pragma once
/// The store writer's explicit-transaction hold, shared by the writer actor
/// and the SQL sessions. While a session holds the store's transaction, its
/// statements run on the session's own thread under `m` (no round trip to
/// the writer's thread per statement: pgbench's TPC-B-like script sends
/// five statements per transaction); everything else still goes through
/// the writer actor, which takes `m` for every message that touches the
/// store.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

namespace themis {

struct writer_hold {
  /// Held by whoever uses the store's connection at the moment.
  std::mutex m;
  /// The SQL session whose explicit transaction the store holds (0: none);
  /// changed only under `m`, read anywhere.
  std::atomic<uint64_t> pinned{0};
  /// steady_ns of the holder's last request (idle in transaction).
  std::atomic<int64_t> last_active_ns{0};
  /// Sessions waiting to open a transaction, first come first served
  /// (under `m`); the one at the front takes the store when it is free.
  /// Whoever frees it (COMMIT on the holder's thread, the writer's idle
  /// rollback) wakes the front: the hand-off needs no writer message.
  struct waiter {
    uint64_t session;
    std::condition_variable cv;
  };
  std::deque<waiter*> queue;
  /// Wakes the session at the front only (a wake-up per hand-off, not one
  /// per waiting session); the caller holds `m`.
  void wake_front() {
    if (!queue.empty())
      queue.front()->cv.notify_one();
  }
  /// Autocommit batches queued in the writer actor, and its group commits
  /// so far: a session at the front lets one group commit go first.
  std::atomic<int64_t> writer_pending{0};
  std::atomic<uint64_t> flushes{0};
};

} // namespace themis
