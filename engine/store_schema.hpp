#pragma once
/// Database file location, pragmas and schema (created idempotently).

#include <atomic>
#include <cstdint>
#include <string>

struct sqlite3;

namespace themis::engine {

class sqlite_db;

struct store_options {
  std::string data_dir = "./data";
  bool synchronous_full = true; ///< fsync every commit (power-loss safe)
  int busy_timeout_ms = 5000;
  unsigned readers = 4;
  unsigned max_group_ops = 4096;
};

/// Path of the main database file inside `data_dir`.
std::string database_path(const store_options& opts);

/// WAL mode, synchronous level and the tables; for the writer connection.
void apply_schema(sqlite_db& db, const store_options& opts);

/// Moves whenever a collection or SQL table definition changes (after the
/// commit): SQL sessions reload their catalog when it differs.
std::atomic<uint64_t>& schema_epoch();

/// Documents stored by `tenant` (its "tenant.x" collections), through any
/// connection to the store: the documents quota (issue 9).
int64_t tenant_documents(sqlite3* db, const std::string& tenant);

} // namespace themis::engine
