#pragma once
/// A prepared statement on a borrowed sqlite3 handle, finalized on scope
/// exit: for code that runs inside another owner's connection (the store
/// writer's transaction, a reader's short-lived handle), where the cached
/// statements of sqlite_db are not at hand. A statement that fails to
/// prepare (an older store without a table) simply yields no rows.

#include <cstdint>
#include <sqlite3.h>
#include <string>

namespace themis::engine {

struct raw_stmt {
  sqlite3_stmt* s = nullptr;
  raw_stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      s = nullptr;
  }
  raw_stmt(sqlite3* db, const std::string& sql) : raw_stmt(db, sql.c_str()) {}
  raw_stmt(const raw_stmt&) = delete;
  raw_stmt& operator=(const raw_stmt&) = delete;
  ~raw_stmt() { sqlite3_finalize(s); }
  raw_stmt& text(int i, const std::string& v) {
    if (s)
      sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()),
                        SQLITE_TRANSIENT);
    return *this;
  }
  raw_stmt& int64(int i, int64_t v) {
    if (s)
      sqlite3_bind_int64(s, i, v);
    return *this;
  }
  bool row() { return s && sqlite3_step(s) == SQLITE_ROW; }
  /// Runs to the end; the SQLite result code.
  int run() { return s ? sqlite3_step(s) : SQLITE_ERROR; }
  std::string col(int i) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
  }
  int64_t col_int(int i) const { return sqlite3_column_int64(s, i); }
};

/// Runs SQL text (DDL, several statements); SQLite's message on failure,
/// "" on success.
inline std::string exec_sql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK)
    return {};
  std::string m = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return m.empty() ? "failed" : m;
}

} // namespace themis::engine
