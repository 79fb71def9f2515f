/// The store writer's part of CREATE / DROP / ALTER DATABASE
/// (sql_databases.hpp): the registry row and, for DROP and RENAME, every
/// stored name of the namespace, in the writer's transaction.

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "engine/sql/sql_databases.hpp"
#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

void run_text(sqlite3* db, const std::string& sql, const std::string& a,
              const std::string& b = {}) {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  bind_value(db, s, 2, value::of_text(b));
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE && rc != SQLITE_ROW)
    raise_sqlite(db, rc);
}

std::vector<std::string> texts(sqlite3* db, const std::string& sql,
                               const std::string& a, const std::string& b) {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  bind_value(db, s, 2, value::of_text(b));
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
  return out;
}

/// The store's tables keyed by a stored name (`collections`, `sql_tables`,
/// `sql_sequences`, `sql_types` and whatever sql_* registries come later):
/// a namespace's rows are those whose name starts with "db.".
std::vector<std::string> name_keyed_tables(sqlite3* db) {
  std::vector<std::string> out;
  for (auto& t : texts(
         db,
         "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND "
         "(m.name = 'collections' OR (substr(m.name, 1, 4) = 'sql_' AND "
         "m.name <> ?1)) AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) "
         "p WHERE p.name = ?2)",
         "sql_databases", "name"))
    out.push_back(t);
  return out;
}

/// Something is stored under "ns." (a tenant's or a database's tables).
bool namespace_used(sqlite3* db, const std::string& name) {
  for (auto& t : name_keyed_tables(db))
    if (!texts(db,
               "SELECT 1 FROM " + quote_ident(t) +
                 " WHERE name >= ?1 AND name < ?2 LIMIT 1",
               name + ".", name + "/")
           .empty())
      return true;
  return false;
}

void drop_namespace(sqlite3* db, change_sink& sink, const std::string& name) {
  auto lo = name + ".", hi = name + "/"; // '/' follows '.'
  {
    auto s = prepare_statement(
      db, "SELECT collection, key FROM documents WHERE collection >= ?1 AND "
          "collection < ?2 ORDER BY collection, key");
    statement_guard g{s};
    bind_value(db, s, 1, value::of_text(lo));
    bind_value(db, s, 2, value::of_text(hi));
    std::vector<std::pair<std::string, std::string>> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      rows.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
        reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
    if (rc != SQLITE_DONE)
      raise_sqlite(db, rc);
    for (auto& [c, k] : rows)
      sink.log(c, k, nullptr);
  }
  run_text(db,
           "DELETE FROM documents WHERE collection >= ?1 AND collection "
           "< ?2",
           lo, hi);
  for (auto& idx : texts(db,
                         "SELECT name FROM sqlite_master WHERE type = 'index' "
                         "AND name >= ?1 AND name < ?2",
                         "sqlidx:" + lo, "sqlidx:" + hi))
    exec_sql(db, "DROP INDEX IF EXISTS " + quote_ident(idx));
  for (auto& t : name_keyed_tables(db))
    run_text(
      db, "DELETE FROM " + quote_ident(t) + " WHERE name >= ?1 AND name < ?2",
      lo, hi);
}

bool has_rows(sqlite3* db, const std::string& table, const std::string& ns) {
  auto exists = texts(db,
                      "SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND name = ?1 AND ?2 = ?2",
                      table, "");
  return !exists.empty() && !texts(db,
                                   "SELECT 1 FROM " + quote_ident(table) +
                                     " WHERE name >= ?1 AND name < ?2 LIMIT 1",
                                   ns + ".", ns + "/")
                               .empty();
}

/// ALTER DATABASE from RENAME TO to: every stored name "from.x" becomes
/// "to.x"; each row moves (a DELETE under the old collection name and a
/// PUT under the new one, as ALTER TABLE … RENAME does).
void rename_namespace(sqlite3* db, write_counters& counters, change_sink& sink,
                      const std::string& from, const std::string& to) {
  // enum oids, view and function bodies are derived from stored names:
  // they would not follow
  for (auto t : {"sql_types", "sql_views", "sql_functions"})
    if (has_rows(db, t, from))
      throw sql_error("0A000",
                      "ALTER DATABASE … RENAME of a database with types, "
                      "views or functions is not supported");
  auto lo = from + ".", hi = from + "/";
  auto moved = [&](const std::string& stored) {
    return to + "." + stored.substr(lo.size());
  };
  auto collections = texts(
    db, "SELECT name FROM collections WHERE name >= ?1 AND name < ?2", lo, hi);
  for (auto& c : collections) {
    for (auto& k : texts(db,
                         "SELECT key FROM documents WHERE collection = ?1 AND "
                         "?2 = ?2 ORDER BY key",
                         c, ""))
      sink.log(c, k, nullptr);
    run_logged(db, counters, sink, moved(c),
               "UPDATE documents SET collection = " + quote_literal(moved(c)) +
                 ", rev = CAST(themis_seq() AS TEXT), doc = json_set(doc, "
                 "'$._rev', CAST(themis_seq_last() AS TEXT)) WHERE "
                 "collection = " +
                 quote_literal(c) + " RETURNING key, rev, doc",
               {});
  }
  // documents of a temp table (no collection) move without events
  run_text(db,
           "UPDATE documents SET collection = ?2 || substr(collection, " +
             std::to_string(lo.size()) +
             ") WHERE collection >= ?1 || '.' AND collection < ?1 || '/'",
           from, to);
  // definitions: their names, foreign keys' targets, SQLite indexes
  std::vector<table_def> defs;
  {
    auto s = prepare_statement(
      db, "SELECT name, def FROM sql_tables WHERE name >= ?1 AND name < ?2");
    statement_guard g{s};
    bind_value(db, s, 1, value::of_text(lo));
    bind_value(db, s, 2, value::of_text(hi));
    while (sqlite3_step(s) == SQLITE_ROW)
      defs.push_back(table_from_json(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
        reinterpret_cast<const char*>(sqlite3_column_text(s, 1))));
  }
  for (auto& idx : texts(db,
                         "SELECT name FROM sqlite_master WHERE type = 'index' "
                         "AND name >= ?1 AND name < ?2",
                         "sqlidx:" + lo, "sqlidx:" + hi))
    exec_sql(db, "DROP INDEX IF EXISTS " + quote_ident(idx));
  run_text(db, "DELETE FROM sql_tables WHERE name >= ?1 AND name < ?2", lo, hi);
  for (auto& t : name_keyed_tables(db)) {
    if (t == "sql_tables")
      continue;
    run_text(db,
             "UPDATE " + quote_ident(t) + " SET name = ?2 || substr(name, " +
               std::to_string(lo.size()) +
               ") WHERE name >= ?1 || '.' AND "
               "name < ?1 || '/'",
             from, to);
  }
  for (auto& d : defs) {
    d.name = moved(d.name);
    for (auto& fk : d.foreign_keys)
      if (fk.ref_table.compare(0, lo.size(), lo) == 0)
        fk.ref_table = moved(fk.ref_table);
    save_table_def(db, d);
    for (auto& i : d.indexes)
      exec_sql(db, create_index_sql(d, i));
  }
}

} // namespace

void run_database_ddl(sqlite3* db, write_counters& counters, change_sink& sink,
                      write_job& job) {
  auto& st = job.st;
  auto& name = st.table;
  auto exists = load_database(db, name).has_value();
  if (st.var == "create") {
    if (exists || namespace_used(db, name))
      throw sql_error("42P04", "database \"" + name + "\" already exists");
    auto def = json::parse(st.sql);
    def.erase("template");
    // oids stay as they were given: pg_database's rows keep them
    uint32_t oid = 16384;
    for (auto& d : load_databases(db))
      oid = std::max(oid, d.oid + 1);
    def["oid"] = oid;
    run_text(db, "INSERT INTO sql_databases(name, def) VALUES(?1, ?2)", name,
             def.dump());
  } else if (!exists) {
    throw sql_error("3D000", "database \"" + name + "\" does not exist");
  } else if (st.var == "drop") {
    drop_namespace(db, sink, name);
    run_text(db, "DELETE FROM sql_databases WHERE name = ?1", name);
  } else if (st.var == "rename") {
    if (load_database(db, st.val) || namespace_used(db, st.val))
      throw sql_error("42P04", "database \"" + st.val + "\" already exists");
    rename_namespace(db, counters, sink, name, st.val);
    run_text(db, "UPDATE sql_databases SET name = ?2 WHERE name = ?1", name,
             st.val);
  } else if (st.var == "update") {
    run_text(db, "UPDATE sql_databases SET def = ?2 WHERE name = ?1", name,
             st.sql);
  } else {
    throw sql_error("XX000", "unknown database action " + st.var);
  }
  job.result.schema_changed = true;
}

} // namespace themis::sql
