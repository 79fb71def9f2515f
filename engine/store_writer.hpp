#pragma once
/// The single writer of the embedded store. Applies groups of write batches
/// in one SQLite transaction (group commit): each batch in its own
/// savepoint, each change-log row in the same transaction as its document.
/// One writer per database file, so sequences are dense without locking.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/read_types.hpp"
#include "engine/sql/constraint_check.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "engine/write_types.hpp"

namespace themis::engine {

class store_writer {
public:
  explicit store_writer(const store_options& opts);

  /// Applies every batch, then commits once. A result says
  /// `committed` only after COMMIT returned, so callers may acknowledge.
  std::vector<write_result>
  commit_group(const std::vector<const write_batch*>& group);

  /// Convenience for one batch.
  write_result commit(const write_batch& batch);

  uint64_t last_sequence() const { return next_seq_ - 1; }
  uint64_t commit_count() const { return commits_; }

  /// Change events of the last commit_group that committed, in sequence
  /// order (for the changefeed fan-out); empties the list.
  std::vector<change_event> take_committed() { return std::move(committed_); }

  /// Deletes change-log rows beyond the retention limits (0 = no limit)
  /// and records the highest deleted sequence (`compacted_through`), so a
  /// resume from before it is refused instead of silently skipping.
  /// Returns the number of rows deleted. Defined in store_compaction.cpp.
  /// Deletes events with seq <= `cutoff` inside the caller's transaction
  /// and records compacted_through; returns how many were deleted.
  uint64_t compact_through(uint64_t cutoff);
  /// The highest sequence retention has deleted (0: none).
  uint64_t compacted_through();
  uint64_t compact(uint64_t max_events, int64_t max_age_ms, int64_t now_ms);

  /// A component's saved state (state_blobs), in its own transaction;
  /// only while the writer actor is not running (startup and shutdown).
  void save_blob(const std::string& key, const std::string& value);
  std::string load_blob(const std::string& key);

  // -- a SQL session's explicit transaction (store_writer_sql.cpp) ----------
  // While one is open the writer runs nothing else; the actor queues.
  void begin_session();
  /// Runs one statement of the open transaction in its own savepoint (a
  /// failed statement leaves no trace); failures are set in the job.
  void run_in_session(sql::write_job& job);
  void session_savepoint(const std::string& name);
  void session_release(const std::string& name);
  void session_rollback_to(const std::string& name);
  /// Commits; false (with the error in `error`, its SQLSTATE in
  /// `sqlstate`) if the deferred constraints fail or COMMIT fails.
  bool commit_session(std::string& error, std::string* sqlstate = nullptr);
  void rollback_session();
  bool in_session() const { return in_session_; }

private:
  op_result apply(const write_op& op, int64_t now_ms);
  op_result apply_guarded(const write_op& op, int64_t now_ms);
  op_result set_schema(const write_op& op); // issue 22
  op_result create_collection(const std::string& name, int64_t now_ms,
                              bool exists_ok, bool edge = false);
  op_result drop_collection(const std::string& name, int64_t now_ms);
  bool collection_exists(const std::string& name);
  /// Deletes the documents of `name`, logging a DELETE for each; the
  /// result's rev is how many (drop and truncate share it).
  op_result truncate_collection(const std::string& name, int64_t now_ms);
  uint64_t log_change(const char* type, const std::string& collection,
                      const std::string& key, const std::string* value,
                      int64_t now_ms);
  void run_batch(const write_batch& batch, write_result& out, int64_t now_ms);

  void forget_uncommitted(uint64_t from_seq);
  op_result apply_sql(sql::write_job& job, int64_t now_ms);
  void after_commit();
  void drop_sql_definition(const std::string& name);

  sql::write_counters counters_;
  // -- stopping a running SQL statement (issue 36; store_writer_stop.cpp) --
  /// The SQL job running now (its session's cancel and timeouts).
  sql::write_job* running_ = nullptr;
  /// steady_ns when the running job was told to stop (0: not yet).
  int64_t stop_since_ns_ = 0;
  /// The session's transaction was lost: a statement had to be
  /// interrupted, and SQLite rolls the whole transaction back then.
  bool lost_ = false;
  /// The progress handler of the writer's connection.
  static int on_progress(void* self);
  /// Runs `job` through run_write with its stop checks armed.
  void run_stoppable(sql::write_job& job, sql::change_sink& sink);
  /// True (the job's error set) if `job` must not start at all.
  bool stopped_before_start(sql::write_job& job);
  /// Whether SQLite rolled the open transaction back (an interrupt).
  bool transaction_lost();
  bool schema_dirty_ = false; ///< DDL in the current transaction
  bool in_session_ = false;
  uint64_t session_start_seq_ = 0;
  std::vector<std::pair<std::string, uint64_t>> savepoints_;
  /// DEFERRABLE INITIALLY DEFERRED foreign keys written in the session
  std::vector<sql::pending_fk> pending_fks_;

  sqlite_db db_;
  /// SQL DML compiled once per text (sql::write_job::cache); after db_:
  /// destroyed first, finalizing its statements before the close.
  std::unique_ptr<sql::statement_cache> dml_cache_;
  std::vector<change_event> committed_;
  uint64_t next_seq_ = 1;
  uint64_t commits_ = 0;
};

} // namespace themis::engine
