#pragma once
/// PostgreSQL SQL → the embedded engine's SQL. Statements are parsed with
/// PostgreSQL's own grammar (libpg_query) and the parse tree is rewritten
/// for SQLite over the `documents` table: a table reference becomes a
/// subquery whose columns are typed extracts of the document fields, DML
/// becomes DML on `documents` that returns what the change log needs.
/// What has no faithful translation is refused with 0A000 naming it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_types.hpp"

namespace themis::sql {

enum class stmt_kind {
  select,
  insert,
  update,
  remove,
  create_table,
  drop_table,
  create_index,
  drop_index,
  alter_table,
  truncate,
  begin,
  commit,
  rollback,
  savepoint,
  release,
  rollback_to,
  set,
  reset,
  show,
  discard,
  noop,
  copy_from,
  copy_to,
  declare_cursor, ///< DECLARE name CURSOR FOR select (var: name)
  fetch,          ///< FETCH/MOVE n FROM name (var: name, count, local: MOVE)
  close_cursor,   ///< CLOSE name (var empty: ALL)
  do_block,       ///< DO $$ … $$ (val: the PL/pgSQL body; plpgsql.hpp)
  prepare,    ///< PREPARE var [(params)] AS val (the statement's text)
  execute,    ///< EXECUTE var (val: the arguments' text, `a, b`)
  deallocate, ///< DEALLOCATE var (empty: ALL)
  rename_table,   ///< ALTER TABLE table RENAME TO val (stored names)
  create_type,    ///< CREATE TYPE … AS ENUM (enum_type)
  alter_type,     ///< ALTER TYPE … ADD/RENAME VALUE (enum_type, rewrites)
  drop_type,      ///< DROP TYPE (names: stored names)
  /// CREATE / ALTER / DROP SEQUENCE (issue 36; translate_sequence_ddl.cpp):
  /// `ddl` the SQLite statements, `sequences` the definitions afterwards,
  /// `names` the stored names that go, `sequence_keys` states reset
  sequence_ddl,
  database_ddl,   ///< CREATE/DROP/ALTER DATABASE (sql_databases.hpp)
  /// CREATE / DROP / ALTER FUNCTION and PROCEDURE (issue 36; sql_udf.cpp):
  /// `names` the keys to delete, `val` a JSON array of definitions to
  /// store; `local`: OR REPLACE (else an existing key is 42723).
  function_ddl,
  /// CREATE [OR REPLACE] VIEW, DROP VIEW, ALTER VIEW … RENAME (issue 36;
  /// sql_views.cpp): drop_views go, then views are saved
  view_ddl,
};

struct copy_spec {
  std::string table;
  std::vector<int> columns; ///< positions in the table
  bool csv = false;
  bool header = false;
  char delimiter = '\t';
  std::string null_text = "\\N";
  char quote = '"';
  bool binary = false;   ///< FORMAT BINARY (actors/pg_copy_binary.cpp)
  std::string query_sql; ///< COPY (SELECT …) TO STDOUT
};

/// A set_config(name, value, is_local) call of a statement.
struct set_config_call {
  std::string name, value;
  bool local = false;
};

struct statement {
  stmt_kind kind = stmt_kind::noop;
  std::string sql;              ///< SQLite text (queries and DML)
  std::vector<uint32_t> params; ///< type of $n at [n-1] (0: unknown)
  std::vector<column> columns;  ///< result columns (RETURNING for DML)
  std::string tag;              ///< command tag ("SELECT", "CREATE TABLE" …)
  std::string table;            ///< DML/DDL target
  bool returns_rows = false;
  bool writes = false;  ///< must run on the store writer
  bool locking = false; ///< FOR UPDATE/SHARE: in a transaction, read on the
                        ///< writer (which serializes) rather than a reader
  /// DML: the SQLite statement returns key, doc, then user columns.
  int hidden_columns = 0;
  bool uses_sequences = false;
  // DDL
  table_def def;                ///< create table / the altered definition
  std::vector<std::string> ddl; ///< extra SQLite statements to run
  std::vector<std::string> names;
  /// DROP INDEX: the namespace whose tables it may touch (a tenant's
  /// "acme."; "" with `all_namespaces` false: the global one only).
  std::string ns;
  bool all_namespaces = true;
  /// DROP INDEX: the session's temp tables (their stored names' prefix,
  /// temp_tables.hpp); no other session's temp table is touched.
  std::string temp_ns;
  bool if_exists = false;
  bool if_not_exists = false;
  // SET / SHOW / savepoints
  std::string var;
  std::string val;
  bool local = false;
  copy_spec copy;
  std::string notice; ///< a NOTICE to send before completing
  int64_t count = 0;  ///< FETCH/MOVE row count (-1: ALL)
  /// set_config(name, value, is_local) calls: applied by the session
  /// after the statement succeeds.
  std::vector<set_config_call> set_configs;
  bool hold = false; ///< DECLARE … WITH HOLD
  /// DML on a table with FOREIGN KEY / CHECK constraints, or referenced
  /// by one: every table of the namespace that takes part in a foreign
  /// key or has a check (the store writer follows cascades through them).
  std::shared_ptr<const std::vector<table_def>> constraint_tables;
  /// ALTER TABLE: (SQLite query, "SQLSTATE message"): the statement
  /// fails with that error if the query returns a row (existing rows
  /// that violate a constraint being added).
  std::vector<std::pair<std::string, std::string>> validations;
  /// ALTER TABLE: SQLite UPDATEs of `documents` (… RETURNING key, rev,
  /// doc) that rewrite existing rows; each changed row is logged.
  std::vector<std::string> rewrites;
  /// DDL: other tables' definitions it changes (foreign keys that follow
  /// a rename or are dropped with CASCADE), saved with it.
  std::vector<table_def> other_defs;
  /// CREATE / ALTER TYPE: the type as it is afterwards.
  enum_def enum_type;
  /// UPDATE of a single-column primary key: the keys of the rows it
  /// will change (same WHERE and parameters), read before it runs.
  std::string old_keys_sql;
  /// UPDATE of a table an ON UPDATE CASCADE foreign key references: each
  /// row's (current document key, key after the UPDATE, document), read
  /// before it runs (constraint_cascade.cpp).
  std::string old_rows_sql;
  /// Sequence DDL (issue 36): definitions it saves, state keys it resets.
  std::vector<sequence_def> sequences;
  std::vector<std::string> sequence_keys;
  /// LOCK TABLE (issue 36): 25P01 outside a transaction block.
  bool needs_block = false;
  /// Views (issue 36): stored names of views this statement drops (DROP
  /// VIEW, DROP TABLE … CASCADE, a rename's old name), then the views it
  /// creates or replaces.
  std::vector<std::string> drop_views;
  std::vector<view_def> views;
};

/// One parsed statement, kept as the parser's JSON tree.
struct parsed_statement {
  std::shared_ptr<const void> tree; ///< nlohmann::json, opaque here
  std::string text;                 ///< the statement's own SQL text
  /// The whole query string (node locations are offsets into it).
  std::shared_ptr<const std::string> source;
};

/// Parses a query string (possibly several statements). Throws sql_error
/// 42601 with the cursor position on a syntax error.
std::vector<parsed_statement> parse_sql(std::string_view sql);

/// Session values some functions read (current_setting, current_user …).
struct session_info {
  std::string user = "themis";
  std::string database = "themis";
  std::string server_version = "15.0 (themis)";
  int32_t backend_pid = 0;
  /// The tenant namespace ("acme.", issue 9): tables it creates are stored
  /// under it; the catalog it is given holds only its tables.
  std::string ns;
  /// A global admin may name tenants' tables ("acme.orders"); nobody else
  /// may create dotted names.
  bool all_namespaces = true;
  /// The stored-name prefix of this session's temp tables
  /// ("<ns>pg_temp_<pid>$", temp_tables.hpp; empty: none allowed).
  std::string temp_ns;
  /// The configured database name (pg.database): with postgres and
  /// template1, the global namespace's databases (issue 36,
  /// sql_databases.hpp).
  std::string default_database = "themis";
  /// `ns` is a tenant's (issue 9), not a database's made by CREATE
  /// DATABASE: pg_database then lists only the tenant's own database.
  bool tenant = false;
  /// Current values of run-time parameters (SET/SHOW).
  std::map<std::string, std::string> settings;
};

/// Translates one statement against `cat`. `param_types` are the types
/// the client declared in Parse (0: infer). Throws sql_error.
statement translate(const parsed_statement& p, const catalog& cat,
                    const session_info& info,
                    const std::vector<uint32_t>& param_types = {});

} // namespace themis::sql
