#pragma once
/// The purge hook's queue (issue 22, docs/caching.md): the surrogate keys
/// committed changes touch, coalesced (each key once however often it is
/// written) and bounded in bytes. Over the bound the keys are dropped and
/// the next purge names `themis-all`, which every cached answer carries:
/// a burst costs the CDN its hit rate, never a stale answer. Not thread
/// safe (actors/cache_purger.cpp locks it); no CAF, no I/O.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/read_types.hpp"

namespace themis {

class cache_purge_queue {
public:
  cache_purge_queue(uint64_t max_bytes, uint32_t max_header_bytes) :
    max_bytes_(max_bytes), max_header_bytes_(max_header_bytes) {}

  /// The keys of one committed group: per document event, its document
  /// and its collection (listings and counts change too). Transaction
  /// markers touch nothing.
  void add_events(const std::vector<engine::change_event>& events);
  void add(std::string key);

  bool empty() const { return keys_.empty() && !overflow_; }
  uint64_t bytes() const { return bytes_; }
  /// Keys dropped since the start (counted once per overflow burst key).
  uint64_t dropped() const { return dropped_; }
  uint64_t overflows() const { return overflows_; }

  /// Everything queued as header values (space-separated keys), each at
  /// most max_header_bytes long (a single longer key gets one of its
  /// own); empties the queue.
  std::vector<std::string> take();

private:
  uint64_t max_bytes_;
  uint32_t max_header_bytes_;
  std::unordered_set<std::string> keys_;
  std::vector<std::string> order_; ///< first-seen order, for stable batches
  uint64_t bytes_ = 0;
  bool overflow_ = false;
  uint64_t dropped_ = 0, overflows_ = 0;
};

} // namespace themis
