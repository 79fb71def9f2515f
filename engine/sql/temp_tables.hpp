#pragma once
/// Temporary tables (CREATE TEMP TABLE, issue 36). A temp table is stored
/// like any SQL table — rows in `documents`, its definition in
/// `sql_tables` — under a stored name `<tenant.>pg_temp_<pid>$<name>`:
///  - '$' is refused by valid_stored_collection_name, so no REST, AQL,
///    MQTT or SQL user name can ever be, or reach, a temp table;
///  - it is never registered in `collections`, so no collection listing or
///    lookup outside the SQL session that owns it sees it;
///  - a tenant's temp tables carry the tenant's prefix, so they stay in
///    the tenant and count against its documents quota;
///  - writes to them log no change event and take no change-log sequence
///    (store_writer_sql.cpp, sql_executor.cpp), so sequences stay dense;
///  - the session drops them at disconnect and the store purges any that a
///    crash left behind when it opens (purge_temp_tables).

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;

namespace themis::sql {

/// Separates the session's temp schema from the table's own name.
constexpr char temp_marker = '$';

inline bool is_temp_table(std::string_view stored) {
  return stored.find(temp_marker) != std::string_view::npos;
}

/// "pg_temp_<pid>": the session's temp schema as the catalog shows it.
std::string temp_schema_name(int32_t pid);
/// "<ns>pg_temp_<pid>$": what a session's temp tables' stored names begin
/// with (`ns` is the tenant prefix, "acme." or "").
std::string temp_table_prefix(const std::string& ns, int32_t pid);
/// The user's name of a stored temp table (after the marker).
std::string temp_local_name(std::string_view stored);
/// The temp schema of a stored temp table ("pg_temp_7"; tenant dropped).
std::string temp_schema_of(std::string_view stored);
/// pg_namespace oid of a temp schema.
uint32_t temp_namespace_oid(const std::string& schema);
/// True if `schema` names the temp schema of the session whose temp
/// tables begin with `prefix` ("pg_temp" or its own "pg_temp_<pid>").
bool is_own_temp_schema(const std::string& schema, const std::string& prefix);

/// The stored ON COMMIT action of CREATE TABLE ("drop", "delete" or "")
/// from the parser's `oncommit` (ONCOMMIT_DROP …). Throws PostgreSQL's
/// errors: 42P16 for ON COMMIT on a permanent table or a temp table in
/// schema public, 0A000 where the session has no temp schema.
std::string temp_on_commit(const std::string& oncommit, bool temp,
                           const std::string& schema, bool allowed);

/// Deletes every temp table (rows, definition, SQLite indexes, sequences)
/// through the writer's connection: run when the store opens, when no
/// session can own one. Returns how many tables were purged.
int purge_temp_tables(sqlite3* db);

} // namespace themis::sql
