/// Change-log retention for store_writer (see store_writer.hpp).

#include "engine/store_writer.hpp"

#include <algorithm>

namespace themis::engine {

uint64_t store_writer::compacted_through() {
  auto s = db_.prepare("SELECT v FROM meta WHERE k = 'compacted_through'");
  return s.step() ? static_cast<uint64_t>(s.int64(0)) : 0;
}

uint64_t store_writer::compact(uint64_t max_events, int64_t max_age_ms,
                               int64_t now_ms) {
  uint64_t cutoff = 0; // delete every row with seq <= cutoff
  auto last = last_sequence();
  if (max_events > 0 && last > max_events)
    cutoff = last - max_events;
  if (max_age_ms > 0) {
    auto s = db_.prepare("SELECT COALESCE(MAX(seq), 0) FROM changelog "
                         "WHERE timestamp_ms < ?1");
    s.bind(1, now_ms - max_age_ms);
    s.step();
    cutoff = std::max(cutoff, static_cast<uint64_t>(s.int64(0)));
  }
  if (cutoff <= compacted_through())
    return 0;
  db_.exec("BEGIN IMMEDIATE");
  try {
    auto removed = compact_through(cutoff);
    db_.exec("COMMIT");
    return removed;
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

uint64_t store_writer::compact_through(uint64_t cutoff) {
  cutoff = std::min(cutoff, last_sequence());
  if (cutoff <= compacted_through())
    return 0;
  db_.prepare("DELETE FROM changelog WHERE seq <= ?1")
    .bind(1, static_cast<int64_t>(cutoff))
    .run();
  auto removed = static_cast<uint64_t>(db_.changes());
  db_
    .prepare("INSERT INTO meta(k, v) VALUES('compacted_through', ?1) "
             "ON CONFLICT(k) DO UPDATE SET v = excluded.v")
    .bind(1, static_cast<int64_t>(cutoff))
    .run();
  return removed;
}

} // namespace themis::engine
