/// ALTER TABLE and ALTER TABLE … RENAME TO on the store writer: index
/// changes, row rewrites (each rewritten row logged), validations of
/// existing rows against constraints being added, then the definitions.

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "engine/sql/pg_enum.hpp"
#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

namespace {

/// Runs a statement to its end (a SELECT that only checks, or DDL).
void run_to_end(sqlite3* db, const std::string& sql) {
  if (sql.rfind("SELECT", 0) != 0) {
    exec_sql(db, sql);
    return;
  }
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
}

void run_text(sqlite3* db, const std::string& sql, const std::string& a,
              const std::string& b = "") {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  if (!b.empty())
    bind_value(db, s, 2, value::of_text(b));
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE && rc != SQLITE_ROW)
    raise_sqlite(db, rc);
}

/// ALTER TABLE old RENAME TO new: the rows move to the new collection
/// (a DELETE under the old name and a PUT under the new one per row).
void rename_table(sqlite3* db, write_counters& counters, change_sink& sink,
                  const statement& st) {
  const auto& from = st.table;
  const auto& to = st.val;
  {
    auto s = prepare_statement(db, "SELECT 1 FROM collections WHERE name = ?1");
    statement_guard g{s};
    bind_value(db, s, 1, value::of_text(to));
    if (sqlite3_step(s) == SQLITE_ROW)
      throw sql_error("42P07", "relation \"" + to + "\" already exists");
  }
  std::vector<std::string> keys;
  {
    auto s = prepare_statement(
      db, "SELECT key FROM documents WHERE collection = ?1 ORDER BY key");
    statement_guard g{s};
    bind_value(db, s, 1, value::of_text(from));
    while (sqlite3_step(s) == SQLITE_ROW)
      keys.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  for (auto& k : keys)
    sink.log(from, k, nullptr);
  run_text(db,
           "INSERT INTO collections(name, created_ms) SELECT ?2, created_ms "
           "FROM collections WHERE name = ?1",
           from, to);
  run_text(db, "DELETE FROM collections WHERE name = ?1", from);
  // the old definition's indexes carry the old name
  {
    auto s = prepare_statement(
      db, "SELECT name FROM sqlite_master WHERE type = 'index' AND "
          "substr(name, 1, length(?1) + 8) = 'sqlidx:' || ?1 || ':'");
    statement_guard g{s};
    bind_value(db, s, 1, value::of_text(from));
    std::vector<std::string> idx;
    while (sqlite3_step(s) == SQLITE_ROW)
      idx.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    for (auto& i : idx)
      exec_sql(db, "DROP INDEX " + quote_ident(i));
  }
  run_logged(db, counters, sink, to,
             "UPDATE documents SET collection = " + quote_literal(to) +
               ", rev = CAST(themis_seq() AS TEXT), doc = json_set(doc, "
               "'$._rev', CAST(themis_seq_last() AS TEXT)) WHERE collection "
               "= " +
               quote_literal(from) + " RETURNING key, rev, doc",
             {});
  run_text(db, "DELETE FROM sql_tables WHERE name = ?1", from);
  run_text(db,
           "UPDATE sql_sequences SET name = ?2 || substr(name, length(?1) + "
           "1) WHERE substr(name, 1, length(?1) + 1) = ?1 || '.'",
           from, to);
  // sequences keyed by its columns (identities) or OWNED BY them (issue 36)
  run_text(db,
           "UPDATE sql_seqdefs SET key = ?2 || substr(key, length(?1) + 1) "
           "WHERE substr(key, 1, length(?1) + 1) = ?1 || '.'",
           from, to);
  run_text(db,
           "UPDATE sql_seqdefs SET def = json_set(def, '$.owner_table', ?2) "
           "WHERE json_extract(def, '$.owner_table') = ?1",
           from, to);
  for (auto& idx : st.def.indexes)
    exec_sql(db, create_index_sql(st.def, idx));
}

} // namespace

void run_alter(sqlite3* db, write_counters& counters, change_sink& sink,
               write_job& job) {
  auto& st = job.st;
  auto& res = job.result;
  if (st.kind == stmt_kind::rename_table) {
    rename_table(db, counters, sink, st);
  } else {
    // indexes on changed columns go first, new ones come after the rows
    // were rewritten
    for (auto& d : st.ddl)
      if (d.rfind("DROP", 0) == 0)
        exec_sql(db, d);
    for (auto& r : st.rewrites)
      run_logged(db, counters, sink, st.table, r, {});
    for (auto& d : st.ddl)
      if (d.rfind("DROP", 0) != 0)
        run_to_end(db, d);
    for (auto& [sql, error] : st.validations) {
      auto s = prepare_statement(db, sql);
      statement_guard g{s};
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW)
        throw sql_error(error.substr(0, 5), error.substr(5));
      if (rc != SQLITE_DONE)
        raise_sqlite(db, rc);
    }
  }
  save_table_def(db, st.def);
  for (auto& other : st.other_defs)
    save_table_def(db, other);
  if (!st.notice.empty())
    res.notice = st.notice;
  res.schema_changed = true;
}

void run_type_ddl(sqlite3* db, write_counters& counters, change_sink& sink,
                  write_job& job) {
  auto& st = job.st;
  if (st.kind == stmt_kind::drop_type) {
    for (auto& name : st.names)
      run_text(db, "DELETE FROM sql_types WHERE name = ?1", name);
  } else {
    if (st.kind == stmt_kind::create_type) {
      auto s = prepare_statement(db, "SELECT 1 FROM sql_types WHERE name = ?1");
      statement_guard g{s};
      bind_value(db, s, 1, value::of_text(st.table));
      if (sqlite3_step(s) == SQLITE_ROW)
        throw sql_error("42710", "type \"" + st.table + "\" already exists");
    }
    for (size_t i = 0; i < st.rewrites.size() && i < st.names.size(); ++i)
      run_logged(db, counters, sink, st.names[i], st.rewrites[i], {});
    nlohmann::json def = {{"labels", st.enum_type.labels}};
    run_text(
      db,
      "INSERT INTO sql_types(name, def) VALUES(?1, ?2) ON CONFLICT(name) "
      "DO UPDATE SET def = excluded.def",
      st.table, def.dump());
    // the labels are known to input checks at once, also inside the
    // transaction that made them
    auto dot = st.table.find('.');
    enum_registry_set(st.enum_type.oid,
                      dot == std::string::npos ? st.table
                                               : st.table.substr(dot + 1),
                      st.enum_type.labels);
  }
  if (!st.notice.empty())
    job.result.notice = st.notice;
  job.result.schema_changed = true;
}

} // namespace themis::sql
