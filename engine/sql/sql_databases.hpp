#pragma once
/// Databases (issue 36): CREATE / DROP / ALTER DATABASE. A database made
/// with CREATE DATABASE is a namespace as a tenant's is (issue 9): its
/// tables are stored as `name.t`, a session connected to it sees only
/// them. The default databases (the configured `pg.database`, `postgres`,
/// `template1`) are the global namespace. The registry is the
/// `sql_databases` table (name → JSON definition), written only by the
/// store writer, read by every session at connect and by pg_database.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/sql/translator.hpp"

struct sqlite3;

namespace themis::sql {

class change_sink;
struct write_counters;
struct write_job;

struct database_def {
  std::string name;
  uint32_t oid = 0;
  std::string owner; ///< as ALTER DATABASE … OWNER TO named it ("": creator)
  std::string collate = "C.UTF-8";
  std::string ctype = "C.UTF-8";
  bool is_template = false;
  bool allow_connections = true;
  int32_t connection_limit = -1;
  /// ALTER DATABASE … SET name = value: applied when a session connects
  /// (before the startup packet's own parameters, as in PostgreSQL).
  std::map<std::string, std::string> settings;
};

/// pg_database's oids of the databases that always exist.
constexpr uint32_t template1_oid = 1, template0_oid = 4, postgres_oid = 5,
                   default_database_oid = 16380;

/// A name CREATE DATABASE accepts: it prefixes stored collection names, so
/// 1–63 of [a-z0-9_-], not starting with '-' (engine/names.cpp).
bool valid_database_name(const std::string& name);

/// The registry's definition of `name` (nullopt: not created with CREATE
/// DATABASE), through any connection to the store.
std::optional<database_def> load_database(sqlite3* db, const std::string& name);
std::vector<database_def> load_databases(sqlite3* db);
/// The registry's JSON of `d`.
std::string database_json(const database_def& d);

/// CREATE DATABASE, DROP DATABASE, ALTER DATABASE (every form), as a
/// statement of kind database_ddl: `var` the action (create, drop, rename,
/// owner, set, options; the session turns owner/set/options into
/// "update" with the whole definition), `table` the database, `val` the
/// new name or owner (set: the query text the SET's locations point
/// into), `sql` the definition (create, options, update: JSON) or the
/// SET's VariableSetStmt (JSON), `if_exists`, `local` WITH (FORCE). nullopt:
/// not a database statement. Throws the option errors PostgreSQL gives.
std::optional<statement> database_statement(const parsed_statement& p);

/// The store writer's part: the registry row, and for DROP every
/// collection, row (a DELETE change event each), definition, index and
/// sequence of the namespace, in the writer's transaction.
void run_database_ddl(sqlite3* db, write_counters& counters, change_sink& sink,
                      write_job& job);

} // namespace themis::sql
