#pragma once
/// Thin RAII layer over the SQLite C API: a connection with a cache of
/// prepared statements, and a statement handle that resets itself.
/// Errors throw `sqlite_error`; callers in the engine catch them per
/// operation so one bad write never takes a group commit down.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace themis::engine {

class sqlite_error : public std::runtime_error {
public:
  sqlite_error(int code, const std::string& what) :
    std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

private:
  int code_;
};

/// A prepared statement borrowed from the cache; reset on destruction.
class stmt_ref {
public:
  explicit stmt_ref(sqlite3_stmt* s) : s_(s) {}
  stmt_ref(const stmt_ref&) = delete;
  stmt_ref& operator=(const stmt_ref&) = delete;
  ~stmt_ref();

  stmt_ref& bind(int idx, std::string_view text);
  stmt_ref& bind(int idx, int64_t value);
  stmt_ref& bind_null(int idx);
  /// Steps once: true if a row is available, false when done.
  bool step();
  /// Runs to completion (for statements that return no rows).
  void run();
  std::string_view text(int col) const;
  int64_t int64(int col) const;
  bool is_null(int col) const;

private:
  sqlite3_stmt* s_;
};

/// Largest string or blob one SQL value may be (SQLITE_LIMIT_LENGTH on
/// every connection): above the largest document a body may carry.
constexpr int max_value_bytes = 256 << 20;

class sqlite_db {
public:
  /// Opens (creating if `create`) the database file.
  sqlite_db(const std::string& path, bool read_only, int busy_timeout_ms);
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;
  ~sqlite_db();

  void exec(const char* sql);
  stmt_ref prepare(const char* sql);
  int64_t changes() const;
  sqlite3* handle() { return db_; }

private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

} // namespace themis::engine
