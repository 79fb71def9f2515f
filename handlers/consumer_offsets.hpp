#pragma once
/// At-least-once changefeed consumers (ThemisDB's `consumer_id` on
/// /changefeed/stream and POST /changefeed/stream/ack): what each consumer
/// was sent and has not acknowledged, and — persisted — the sequence it
/// acknowledged through, so after a restart it resumes after its last ack.
///
/// Consumers are named per tenant ("x" of tenant a is not "x" of tenant b).
/// The acknowledged sequence lives in a small SQLite file of the data
/// directory (changefeed_consumers.db); pending deliveries are memory only
/// (a restart redelivers everything after the ack, which is the contract).
/// Thread-safe: streams run on their connection actors, acks on others.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::engine {
class sqlite_db;
}

namespace themis {

class consumer_offsets {
public:
  static constexpr size_t max_pending = 10000;  ///< per consumer
  static constexpr size_t max_consumers = 1000; ///< per tenant

  /// The process's store for `data_dir` (opened on first use).
  static consumer_offsets& of(const std::string& data_dir);
  /// 1–128 of [A-Za-z0-9_.:-].
  static bool valid_id(std::string_view id);

  explicit consumer_offsets(const std::string& path);
  ~consumer_offsets();

  struct position {
    bool known = false; ///< existed before (persisted or in memory)
    uint64_t acked = 0; ///< acknowledged through (inclusive)
    uint64_t sent = 0;  ///< highest sequence sent (>= acked)
  };
  /// Opens consumer `id` of `tenant`, creating it at `start` (its first
  /// position: acknowledged through `start`); an error message when the
  /// tenant already has max_consumers.
  std::optional<std::string> attach(const std::string& tenant,
                                    const std::string& id, uint64_t start,
                                    position& out);
  /// Records that `seq` was sent now; false (not recorded) when the
  /// consumer already has max_pending unacknowledged events.
  bool sent(const std::string& tenant, const std::string& id, uint64_t seq,
            int64_t now_ms);
  /// Pending sequences sent at least `timeout_ms` ago, ascending; their
  /// timers restart (they are being sent again).
  std::vector<uint64_t> due(const std::string& tenant, const std::string& id,
                            uint64_t timeout_ms, int64_t now_ms);
  /// Cumulative and inclusive: forgets pending events <= `up_to` and
  /// persists the position. Returns how many pending events it removed
  /// (0 for an unknown consumer, which is not created).
  uint64_t ack(const std::string& tenant, const std::string& id,
               uint64_t up_to);
  uint64_t acked(const std::string& tenant, const std::string& id);

private:
  struct state {
    uint64_t acked = 0;
    uint64_t sent = 0;
    std::map<uint64_t, int64_t> pending; ///< sequence → last sent (ms)
  };
  state* find(const std::string& tenant, const std::string& id);
  void persist(const std::string& tenant, const std::string& id,
               uint64_t acked);

  std::mutex mtx_;
  std::unique_ptr<engine::sqlite_db> db_;
  std::map<std::pair<std::string, std::string>, state> mem_;
};

} // namespace themis
