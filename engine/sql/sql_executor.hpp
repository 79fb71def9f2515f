#pragma once
/// Runs translated statements on a SQLite connection. Reads stream
/// through a cursor (a portal can stop after N rows and go on later);
/// writes run on the store writer's connection inside its transaction and
/// report every row they change to the change log, in sequence order.

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/sql/constraint_check.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translator.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace themis::sql {

/// Throws the sql_error that matches SQLite's failure `rc` on `db`.
[[noreturn]] void raise_sqlite(sqlite3* db, int rc);

/// Prepared SQLite statements of one connection, reused by SQL text: a
/// prepared point query costs a bind and a step, not a compile. Bounded;
/// a statement in use by an open cursor is never handed out twice.
class statement_cache {
public:
  explicit statement_cache(sqlite3* db, size_t capacity = 128) :
    db_(db), capacity_(capacity) {}
  ~statement_cache();
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  sqlite3_stmt* acquire(const std::string& sql);
  /// Resets the statement; a cached one becomes available again.
  void release(sqlite3_stmt* s);

private:
  struct entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
    uint64_t last_used = 0;
  };
  sqlite3* db_;
  size_t capacity_;
  uint64_t clock_ = 0;
  std::unordered_map<std::string, entry> by_sql_;
  std::unordered_map<sqlite3_stmt*, std::string> owner_;
};

class query_cursor {
public:
  query_cursor(sqlite3* db, const std::string& sql,
               const std::vector<value>& params);
  /// The statement comes from (and returns to) `cache`.
  query_cursor(statement_cache& cache, sqlite3* db, const std::string& sql,
               const std::vector<value>& params);
  ~query_cursor();
  query_cursor(const query_cursor&) = delete;
  query_cursor& operator=(const query_cursor&) = delete;

  /// Up to `max_rows` rows (0: all) to `on_row`; true if rows remain.
  bool fetch(size_t max_rows, const std::function<void(row&)>& on_row);
  size_t fetched() const { return fetched_; }

private:
  sqlite3* db_;
  statement_cache* cache_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool done_ = false;
  size_t fetched_ = 0;
};

/// sqlite3_prepare_v2, or the sql_error that matches the failure.
sqlite3_stmt* prepare_statement(sqlite3* db, const std::string& sql);
/// Finalizes a prepared statement at the end of a scope.
struct statement_guard {
  sqlite3_stmt* s;
  ~statement_guard();
};

/// A row a write changed: `doc` empty for a deletion (`deleted`);
/// `old_doc` the deleted document when the statement returned it.
struct changed_row {
  std::string key, rev, doc, old_doc;
  bool deleted = false;
};

/// Binds `v` to parameter `i` (1-based).
void bind_value(sqlite3* db, sqlite3_stmt* s, int i, const value& v);
value column_value(sqlite3_stmt* s, int i);

/// Where SQL writes report what they changed (the store writer).
class change_sink {
public:
  virtual ~change_sink() = default;
  /// The sequence the next logged change gets.
  virtual int64_t next_sequence() = 0;
  /// Appends a change event; `doc` null for a DELETE.
  virtual void log(const std::string& collection, const std::string& key,
                   const std::string* doc) = 0;
};

struct exec_result {
  std::vector<row> rows; ///< RETURNING rows (user columns only)
  int64_t affected = 0;
  std::string notice; ///< e.g. "relation already exists, skipping"
  bool schema_changed = false;
};

/// Why a write must stop before it ends (issue 36): its session's cancel
/// (CancelRequest, pg_cancel_backend, pg_terminate_backend), its
/// statement_timeout, or its lock_timeout while it still waits for the
/// store writer.
enum class stop_reason { none, cancel, statement_timeout, lock_timeout };

/// The SQLSTATE and message PostgreSQL gives for `r` (57014, 55P03).
void stop_error(stop_reason r, std::string& sqlstate, std::string& message);

/// A write statement for the store writer; `param_rows` has one entry
/// per execution (COPY FROM runs one INSERT per row).
struct write_job {
  statement st;
  /// Set by the store writer: its compiled DML, reused by SQL text (with
  /// the simple protocol's literals bound, pgbench's statements repeat).
  statement_cache* cache = nullptr;
  bool in_block = false; ///< set by the writer: inside BEGIN … COMMIT
  /// DEFERRABLE INITIALLY DEFERRED foreign keys the job touched (checked
  /// by the writer at COMMIT)
  std::vector<pending_fk> deferred_fks;
  std::vector<std::vector<value>> param_rows;
  exec_result result;
  std::string sqlstate; ///< set on failure
  std::string message;
  int32_t position = 0;
  /// The session's signals for this one statement (empty: none). The store
  /// writer asks before the job runs and while it runs (`waiting` false);
  /// whoever holds it waiting for the writer asks with `waiting` true (the
  /// lock_timeout counts only then).
  std::function<stop_reason(bool waiting)> stop;
};

class change_sink;
/// Runs a writer-side DML `sql` (… RETURNING key, rev, doc [, old doc];
/// rev and doc NULL for a deletion) once with `params`, logs every row
/// it changed under `table` and returns them.
std::vector<changed_row> run_logged(sqlite3* db, write_counters& counters,
                                    change_sink& sink, const std::string& table,
                                    const std::string& sql,
                                    const std::vector<value>& params);

/// Stores `t` in sql_tables (insert or replace).
void save_table_def(sqlite3* db, const table_def& t);
/// sqlite3_exec of `sql`, or the matching sql_error.
void exec_sql(sqlite3* db, const std::string& sql);
/// ALTER TABLE, ALTER … RENAME (ddl_executor.cpp).
void run_alter(sqlite3* db, write_counters& counters, change_sink& sink,
               write_job& job);
/// CREATE / ALTER / DROP TYPE (ddl_executor.cpp).
void run_type_ddl(sqlite3* db, write_counters& counters, change_sink& sink,
                  write_job& job);

/// Runs `job` on the writer's connection (inside its transaction). On
/// failure, throws sql_error; the caller rolls its savepoint back.
void run_write(sqlite3* db, write_counters& counters, change_sink& sink,
               write_job& job);

} // namespace themis::sql
