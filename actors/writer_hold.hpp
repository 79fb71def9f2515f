#pragma once
/// The store writer's explicit-transaction hold, shared by the writer actor
/// and the SQL sessions. While a session holds the store's transaction, its
/// statements run on the session's own thread under `m` (no round trip to
/// the writer's thread per statement: pgbench's TPC-B-like script sends
/// five statements per transaction); everything else still goes through
/// the writer actor, which takes `m` for every message that touches the
/// store.

#include <atomic>
#include <cstdint>
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
};

} // namespace themis
