#include "engine/sqlite_db.hpp"

#include <sqlite3.h>

namespace themis::engine {

namespace {

[[noreturn]] void raise(sqlite3* db, int rc, const char* what) {
  std::string msg = what;
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw sqlite_error(rc, msg);
}

} // namespace

stmt_ref::~stmt_ref() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

stmt_ref& stmt_ref::bind(int idx, std::string_view text) {
  int rc = sqlite3_bind_text(s_, idx, text.data(),
                             static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK)
    raise(sqlite3_db_handle(s_), rc, "bind");
  return *this;
}

stmt_ref& stmt_ref::bind(int idx, int64_t value) {
  int rc = sqlite3_bind_int64(s_, idx, value);
  if (rc != SQLITE_OK)
    raise(sqlite3_db_handle(s_), rc, "bind");
  return *this;
}

stmt_ref& stmt_ref::bind_null(int idx) {
  sqlite3_bind_null(s_, idx);
  return *this;
}

bool stmt_ref::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  raise(sqlite3_db_handle(s_), rc, "step");
}

void stmt_ref::run() {
  while (step()) {
  }
}

std::string_view stmt_ref::text(int col) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  if (!p)
    return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(s_, col))};
}

int64_t stmt_ref::int64(int col) const {
  return sqlite3_column_int64(s_, col);
}

bool stmt_ref::is_null(int col) const {
  return sqlite3_column_type(s_, col) == SQLITE_NULL;
}

sqlite_db::sqlite_db(const std::string& path, bool read_only,
                     int busy_timeout_ms) {
  int flags = read_only ? SQLITE_OPEN_READONLY
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  flags |=
    SQLITE_OPEN_NOMUTEX; // each connection is used by one thread at a time
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
      "open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw sqlite_error(rc, msg);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  // One SQL or AQL expression may not build a value bigger than this
  // (SQLite's default is 1 GB: `repeat('x', 900000000)` and its copies
  // would take gigabytes); beyond it SQLITE_TOOBIG, PostgreSQL 54000.
  sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, max_value_bytes);
}

sqlite_db::~sqlite_db() {
  for (auto& [sql, s] : cache_)
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

void sqlite_db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sqlite_error(rc, std::string("exec: ") + msg);
  }
}

stmt_ref sqlite_db::prepare(const char* sql) {
  // Keyed by the literal's address: every caller passes a string constant.
  auto it = cache_.find(sql);
  if (it != cache_.end())
    return stmt_ref(it->second);
  sqlite3_stmt* s = nullptr;
  int rc =
    sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK)
    raise(db_, rc, "prepare");
  cache_.emplace(sql, s);
  return stmt_ref(s);
}

int64_t sqlite_db::changes() const {
  return sqlite3_changes64(db_);
}

} // namespace themis::engine
