#pragma once
/// A prepared statement with RAII for SQL whose text is built at run time
/// (per-index table names): sqlite_db's cache is keyed by literal pointer.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace themis::search {

class stmt {
public:
  stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("search: ") + sqlite3_errmsg(db));
  }
  ~stmt() { sqlite3_finalize(s_); }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  stmt& bind(int i, std::string_view t) {
    sqlite3_bind_text(s_, i, t.data(), static_cast<int>(t.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  /// true: a row; false: done. Throws with SQLite's message on an error.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    throw std::runtime_error(sqlite3_errmsg(sqlite3_db_handle(s_)));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t int64(int c) const { return sqlite3_column_int64(s_, c); }
  double real(int c) const { return sqlite3_column_double(s_, c); }
  std::string text(int c) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, sqlite3_column_bytes(s_, c)) : std::string();
  }
  bool is_null(int c) const {
    return sqlite3_column_type(s_, c) == SQLITE_NULL;
  }

private:
  sqlite3_stmt* s_ = nullptr;
};

inline void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "error";
    sqlite3_free(err);
    throw std::runtime_error("search: " + m);
  }
}

/// Opens a connection (WAL, busy timeout); throws on failure.
inline sqlite3* open(const std::string& path, bool read_only, int busy_ms) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw std::runtime_error("search: cannot open " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, busy_ms);
  return db;
}

} // namespace themis::search
