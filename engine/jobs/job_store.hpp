#pragma once
/// Durable job records and result pages in their own database file
/// (`jobs.db` beside the store), so a long job streaming rows never
/// competes with document writes for the store's single writer. Written by
/// the job manager (records) and by each job's runner (its rows); WAL and a
/// busy timeout let them interleave.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

struct job_record {
  std::string id;
  int64_t seq = 0; ///< submission order (FIFO start, listing order)
  std::string status =
    "pending"; ///< pending|running|completed|failed|cancelled
  std::string query;
  std::string bind_vars = "{}"; ///< JSON text
  std::string idempotency_key;  ///< empty: none
  int64_t ttl_s = 3600;
  int64_t created_ms = 0;
  int64_t started_ms = 0;  ///< 0: not yet
  int64_t finished_ms = 0; ///< 0: not yet
  int64_t expires_ms = 0;  ///< when the result goes; 0: not finished
  int64_t rows_scanned = 0;
  int64_t rows_produced = 0;
  int64_t result_count = 0; ///< rows stored as result pages
  int64_t writes = 0;
  std::string error;        ///< failed/cancelled: why
  std::string error_kind;   ///< parse, timeout, interrupted, cancelled …
  bool expired = false;     ///< the result was removed after its TTL
  std::string owner_user;   ///< who submitted it (issue 9)
  std::string owner_tenant; ///< its tenant: the namespace it runs in
};

class job_store {
public:
  /// Opens (creating) `path`.
  job_store(const std::string& path, int busy_timeout_ms);

  void insert(const job_record& r);
  /// Writes every mutable field of `r`.
  void update(const job_record& r);
  std::optional<job_record> get(const std::string& id);
  std::vector<job_record> load_all();
  /// Records in submission order after `after_seq`, optionally by status.
  std::vector<job_record> list(const std::string& status, int64_t after_seq,
                               size_t limit);

  /// Appends result rows `first`, `first+1`, … in one transaction.
  void append_rows(const std::string& id, int64_t first,
                   const std::vector<std::string>& rows);
  /// Rows with index >= from, at most `limit`, in order.
  std::vector<std::string> rows(const std::string& id, int64_t from,
                                size_t limit);
  void delete_rows(const std::string& id);
  void delete_job(const std::string& id);

  /// Path of jobs.db inside a data directory.
  static std::string path_in(const std::string& data_dir);

private:
  job_record read(stmt_ref& s);

  sqlite_db db_;
};

} // namespace themis::engine
