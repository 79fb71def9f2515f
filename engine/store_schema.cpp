#include "engine/store_schema.hpp"

#include <sqlite3.h>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

std::string database_path(const store_options& opts) {
  auto dir = opts.data_dir.empty() ? std::string(".") : opts.data_dir;
  if (dir.back() != '/')
    dir.push_back('/');
  return dir + "themis.db";
}

namespace {

/// The change log: one row per committed document write (and HTTP
/// transaction marker), written in the same transaction; seq is dense and
/// starts at 1.
constexpr const char* changelog_columns = R"sql((
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL CHECK(type IN ('PUT','DELETE',
    'TRANSACTION_COMMIT','TRANSACTION_ROLLBACK')),
  collection TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT,
  timestamp_ms INTEGER NOT NULL))sql";

} // namespace

void apply_schema(sqlite_db& db, const store_options& opts) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(opts.synchronous_full ? "PRAGMA synchronous=FULL"
                                : "PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=OFF");
  /// A big write transaction grows the WAL file to its size and SQLite
  /// keeps that size for reuse (a 1M-edge bulk load left a 9 GB data
  /// directory, mostly WAL); after a checkpoint that resets the WAL it is
  /// now truncated to 64 MiB.
  db.exec("PRAGMA journal_size_limit=67108864");
  db.exec(R"sql(
    CREATE TABLE IF NOT EXISTS collections(
      name TEXT PRIMARY KEY,
      created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS documents(
      collection TEXT NOT NULL,
      key TEXT NOT NULL,
      rev TEXT NOT NULL,
      doc TEXT NOT NULL,
      PRIMARY KEY(collection, key)) WITHOUT ROWID;
    -- compacted_through: highest change-log sequence deleted by retention.
    -- SQL table definitions (columns, types, indexes) of collections
    -- created over the PostgreSQL protocol, and their sequences.
    CREATE TABLE IF NOT EXISTS sql_tables(
      name TEXT PRIMARY KEY,
      def TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS sql_sequences(
      name TEXT PRIMARY KEY,
      last INTEGER NOT NULL) WITHOUT ROWID;
    -- SQL types created over the PostgreSQL protocol (CREATE TYPE … AS
    -- ENUM): the labels in order, as JSON.
    CREATE TABLE IF NOT EXISTS sql_types(
      name TEXT PRIMARY KEY,
      def TEXT NOT NULL) WITHOUT ROWID;
    -- sequences created over SQL (CREATE SEQUENCE, issue 36): name →
    -- state key (the sql_sequences row) and options as JSON
    CREATE TABLE IF NOT EXISTS sql_seqdefs(
      name TEXT PRIMARY KEY,
      key TEXT NOT NULL,
      def TEXT NOT NULL) WITHOUT ROWID;
    -- SQL views (CREATE VIEW, issue 36): the query as pg_get_viewdef
    -- prints it, its columns and what it reads, as JSON.
    CREATE TABLE IF NOT EXISTS sql_views(
      name TEXT PRIMARY KEY,
      def TEXT NOT NULL) WITHOUT ROWID;
    -- user functions and procedures (CREATE FUNCTION, issue 36): the
    -- definition as JSON under "name(argument type oids)"
    CREATE TABLE IF NOT EXISTS sql_functions(
      name TEXT PRIMARY KEY,
      def TEXT NOT NULL) WITHOUT ROWID;
    -- databases made with CREATE DATABASE (engine/sql/sql_databases.hpp):
    -- their tables are stored as "name.table"; def is JSON.
    CREATE TABLE IF NOT EXISTS sql_databases(
      name TEXT PRIMARY KEY,
      def TEXT NOT NULL) WITHOUT ROWID;
    -- persistent and TTL indexes of collections (issue 22,
    -- engine/index_store.hpp): def is the definition as JSON; the SQLite
    -- index is "docidx:<collection>:<name>"
    CREATE TABLE IF NOT EXISTS collection_indexes(
      collection TEXT NOT NULL,
      name TEXT NOT NULL,
      def TEXT NOT NULL,
      PRIMARY KEY(collection, name)) WITHOUT ROWID;
    -- background index builds (engine/index_background.hpp): progress
    -- of each "inBackground" index, kept after it is ready
    CREATE TABLE IF NOT EXISTS index_builds(
      collection TEXT NOT NULL,
      name TEXT NOT NULL,
      state TEXT NOT NULL,
      watermark TEXT NOT NULL,
      built INTEGER NOT NULL,
      total INTEGER NOT NULL,
      error TEXT NOT NULL DEFAULT '',
      UNIQUE(collection, name));
    CREATE TABLE IF NOT EXISTS meta(
      k TEXT PRIMARY KEY,
      v INTEGER NOT NULL) WITHOUT ROWID;
    -- state of components that is saved whole (the MQTT broker's sessions
    -- and retained messages, saved when it stops)
    CREATE TABLE IF NOT EXISTS state_blobs(
      k TEXT PRIMARY KEY,
      v TEXT NOT NULL) WITHOUT ROWID;
  )sql");
  // Edge indexes (issue 32, docs/graph.md): traversals look edges up by
  // _from / _to. Partial, so a document without the attribute costs one
  // instr() per write and no index entry; the lookups in
  // engine/aql/graph_source_sql.cpp repeat the condition word for word.
  db.exec(R"sql(
    CREATE INDEX IF NOT EXISTS documents_edge_from
      ON documents(collection, json_extract(doc, '$._from'))
      WHERE instr(doc, '"_from"') > 0;
    CREATE INDEX IF NOT EXISTS documents_edge_to
      ON documents(collection, json_extract(doc, '$._to'))
      WHERE instr(doc, '"_to"') > 0;
  )sql");
  db.exec(
    (std::string("CREATE TABLE IF NOT EXISTS changelog") + changelog_columns)
      .c_str());
  // sql_sequences.called (issue 36: setval(s, v, false)); older stores'
  // rows were all handed out
  {
    bool has_called = false;
    {
      auto cols = db.prepare("SELECT 1 FROM pragma_table_info('sql_sequences') "
                             "WHERE name = 'called'");
      has_called = cols.step();
    }
    if (!has_called)
      db.exec("ALTER TABLE sql_sequences ADD COLUMN called INTEGER NOT NULL "
              "DEFAULT 1");
  }
  // A store created before HTTP transactions allows only PUT and DELETE
  // in its change log: rebuild the table with the transaction markers
  // allowed (rows and sequences kept), once.
  bool old = false;
  {
    // read and let go of the statement before the table is dropped
    auto def = db.prepare(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = "
      "'changelog'");
    old =
      def.step() && def.text(0).find("TRANSACTION_COMMIT") == std::string::npos;
  }
  if (old) {
    db.exec((std::string("BEGIN IMMEDIATE; CREATE TABLE changelog_v2") +
             changelog_columns +
             "; INSERT INTO changelog_v2 SELECT seq, type, collection, key, "
             "value, timestamp_ms FROM changelog; DROP TABLE changelog; "
             "ALTER TABLE changelog_v2 RENAME TO changelog; COMMIT;")
              .c_str());
  }
}

std::atomic<uint64_t>& schema_epoch() {
  static std::atomic<uint64_t> epoch{1};
  return epoch;
}

int64_t tenant_documents(sqlite3* db, const std::string& tenant) {
  // '/' follows '.': every "tenant.x" sorts in [tenant., tenant/)
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT COUNT(*) FROM documents WHERE collection >= "
                         "?1 AND collection < ?2",
                         -1, &s, nullptr) != SQLITE_OK)
    return 0;
  auto lo = tenant + ".", hi = tenant + "/";
  sqlite3_bind_text(s, 1, lo.data(), static_cast<int>(lo.size()),
                    SQLITE_STATIC);
  sqlite3_bind_text(s, 2, hi.data(), static_cast<int>(hi.size()),
                    SQLITE_STATIC);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return n;
}

} // namespace themis::engine
