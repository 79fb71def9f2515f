#pragma once
/// Search index definitions in backups (issue 32, docs/operations.md
/// "Backup and restore"). A backup carries the definitions of the data
/// directory's vector and full-text indexes (search_indexes.json), not
/// their contents: the contents are derived from the documents, and a
/// restore rebuilds them from the restored documents in the background
/// (state "building", then "ready"), so they agree with the store exactly
/// — which a copy of search.db and the .hnsw files, taken at another
/// instant than themis.db's snapshot, would not. Plain C++ and SQLite.

#include <string>

#include <nlohmann/json.hpp>

namespace themis::search {

/// The file a backup holds the definitions in (next to backup.json).
inline constexpr const char* backup_definitions_name = "search_indexes.json";

/// search.db's catalog table (search_service creates the same).
inline constexpr const char* catalog_schema_sql =
  "CREATE TABLE IF NOT EXISTS search_indexes(id INTEGER PRIMARY KEY,"
  " def TEXT NOT NULL, applied_seq INTEGER NOT NULL DEFAULT 0,"
  " state TEXT NOT NULL DEFAULT 'building')";

/// The definitions in `data_dir`/search.db (an empty array if it has
/// none), each in its stored form (with id). Throws std::runtime_error.
nlohmann::json export_definitions(const std::string& data_dir);

/// Writes `defs` into a new `data_dir`/search.db as indexes to build (their
/// FTS5 tables created empty); definitions that do not read back are
/// refused. Returns "" or the reason.
std::string import_definitions(const std::string& data_dir,
                               const nlohmann::json& defs);

} // namespace themis::search
