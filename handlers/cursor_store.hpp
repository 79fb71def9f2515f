#pragma once
/// Open query cursors: the rest of a /v1/query result, handed out batch by
/// batch. Shared by every connection (a cursor may be read from another
/// connection than the one that created it), so it locks. Idle cursors
/// expire after `ttl`; past `max_cursors` the least recently used goes.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace themis {

struct cursor_batch {
  std::string rows_json; ///< a JSON array of the batch's rows
  bool has_more = false;
  uint64_t count = 0; ///< rows of the whole result
};

class cursor_store {
public:
  using clock = std::chrono::steady_clock;

  cursor_store(std::chrono::seconds ttl, size_t max_cursors);

  /// Keeps `rows` (rendered JSON values), handed out `batch` at a time;
  /// returns the cursor id.
  std::string add(std::vector<std::string> rows, size_t batch, uint64_t total);
  /// The next batch; the cursor is gone after its last one. nullopt for an
  /// unknown or expired id.
  std::optional<cursor_batch> next(const std::string& id);
  bool remove(const std::string& id);
  size_t size();

private:
  struct cursor {
    std::vector<std::string> rows;
    size_t pos = 0;
    size_t batch = 1;
    uint64_t total = 0; ///< rows of the whole result, first batch included
    clock::time_point last_used;
  };
  void sweep(clock::time_point now);

  std::mutex mtx_;
  std::unordered_map<std::string, cursor> cursors_;
  std::chrono::seconds ttl_;
  size_t max_;
  uint64_t next_id_ = 1;
  uint64_t salt_;
};

} // namespace themis
