#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_databases.hpp"
#include "engine/sql/sql_views.hpp"

#include <algorithm>

#include <sqlite3.h>

#include "engine/names.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_udf.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/store_schema.hpp"
#include "engine/index_store.hpp"
#include "themis/input_limits.hpp"

namespace themis::sql {

void raise_sqlite(sqlite3* db, int rc) {
  const char* msg = sqlite3_errmsg(db);
  char state[6];
  const char* text = nullptr;
  if (split_error(msg, state, &text))
    throw sql_error(state, text);
  int ext = sqlite3_extended_errcode(db);
  std::string m = msg ? msg : "engine error";
  switch (ext) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: {
      // "UNIQUE constraint failed: index 'sqlidx:<table>:<index>'"
      auto at = m.find("'sqlidx:");
      if (at != std::string::npos) {
        auto name = m.substr(at + 8);
        if (auto q = name.find('\''); q != std::string::npos)
          name.resize(q);
        auto colon = name.find(':');
        if (colon != std::string::npos) {
          auto table = name.substr(0, colon), idx = name.substr(colon + 1);
          throw sql_error(
            "23505", "duplicate key value violates unique constraint \"" + idx +
                       "\"" + error_trailer("public", table, "", idx));
        }
      }
      throw sql_error("23505",
                      "duplicate key value violates unique constraint");
    }
    case SQLITE_CONSTRAINT_NOTNULL:
      throw sql_error("23502", m);
    case SQLITE_CONSTRAINT_CHECK:
      throw sql_error("23514", m);
    default:
      break;
  }
  if ((rc & 0xff) == SQLITE_INTERRUPT)
    throw sql_error("57014", "canceling statement due to user request");
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    throw sql_error("40001", "could not serialize access: " + m);
  if ((rc & 0xff) == SQLITE_TOOBIG)
    throw sql_error("54000", m);
  if ((rc & 0xff) == SQLITE_NOMEM)
    throw sql_error("53200", "out of memory");
  if ((rc & 0xff) == SQLITE_FULL)
    throw sql_error("53100", "could not extend file: disk full");
  // SQLite's own bounds on what the translated statement nests (its parser
  // stack, SQLITE_MAX_EXPR_DEPTH): PostgreSQL says 54001 for these
  if (m.find("parser stack overflow") != std::string::npos ||
      m.find("too large (maximum depth") != std::string::npos)
    throw sql_error("54001", "statement too complex (" + m + ")");
  if (m.find("ambiguous column") != std::string::npos)
    throw sql_error("42702", m);
  if (m.find("no such column") != std::string::npos)
    throw sql_error("42703", m);
  if (m.find("syntax error") != std::string::npos ||
      m.find("misuse of aggregate") != std::string::npos)
    throw sql_error("42803", m);
  throw sql_error("XX000", m);
}

void stop_error(stop_reason r, std::string& sqlstate, std::string& message) {
  switch (r) {
    case stop_reason::lock_timeout:
      sqlstate = "55P03";
      message = "canceling statement due to lock timeout";
      return;
    case stop_reason::statement_timeout:
      sqlstate = "57014";
      message = "canceling statement due to statement timeout";
      return;
    default:
      sqlstate = "57014";
      message = "canceling statement due to user request";
  }
}

void bind_value(sqlite3* db, sqlite3_stmt* s, int i, const value& v) {
  int rc = SQLITE_OK;
  switch (v.k) {
    case value::kind::null:
      rc = sqlite3_bind_null(s, i);
      break;
    case value::kind::integer:
      rc = sqlite3_bind_int64(s, i, v.i);
      break;
    case value::kind::real:
      rc = sqlite3_bind_double(s, i, v.d);
      break;
    case value::kind::text:
      rc = sqlite3_bind_text(s, i, v.s.data(), static_cast<int>(v.s.size()),
                             SQLITE_TRANSIENT);
      break;
    case value::kind::blob:
      rc = sqlite3_bind_blob(s, i, v.s.data(), static_cast<int>(v.s.size()),
                             SQLITE_TRANSIENT);
      break;
  }
  if (rc != SQLITE_OK && rc != SQLITE_RANGE)
    raise_sqlite(db, rc);
}

value column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return value::of(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT:
      return value::of_real(sqlite3_column_double(s, i));
    case SQLITE_TEXT:
      return value::of_text(
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                    static_cast<size_t>(sqlite3_column_bytes(s, i))));
    case SQLITE_BLOB: {
      value x;
      x.k = value::kind::blob;
      auto p = static_cast<const char*>(sqlite3_column_blob(s, i));
      x.s.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, i)));
      return x;
    }
    default:
      return {};
  }
}

sqlite3_stmt* prepare_statement(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s,
                              nullptr);
  if (rc != SQLITE_OK)
    raise_sqlite(db, rc);
  return s;
}

statement_guard::~statement_guard() {
  sqlite3_finalize(s);
}

namespace {

sqlite3_stmt* prepare(sqlite3* db, const std::string& sql) {
  return prepare_statement(db, sql);
}

using stmt_guard = statement_guard;

void bind_all(sqlite3* db, sqlite3_stmt* s, const std::vector<value>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    bind_value(db, s, static_cast<int>(i + 1), p[i]);
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    raise_sqlite(db, rc);
  }
}

bool collection_exists(sqlite3* db, const std::string& name) {
  // a temp table has a definition but no collection (temp_tables.hpp)
  auto s = prepare(db, is_temp_table(name)
                         ? "SELECT 1 FROM sql_tables WHERE name = ?1"
                         : "SELECT 1 FROM collections WHERE name = ?1");
  stmt_guard g{s};
  bind_value(db, s, 1, value::of_text(name));
  return sqlite3_step(s) == SQLITE_ROW;
}

void save_def(sqlite3* db, const table_def& t) {
  auto s = prepare(db, "INSERT INTO sql_tables(name, def) VALUES(?1, ?2) "
                       "ON CONFLICT(name) DO UPDATE SET def = excluded.def");
  stmt_guard g{s};
  bind_value(db, s, 1, value::of_text(t.name));
  bind_value(db, s, 2, value::of_text(to_json(t)));
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
    raise_sqlite(db, rc);
}

/// Logs a DELETE for every row of `table`, then removes them.
int64_t delete_all(sqlite3* db, change_sink& sink, const std::string& table) {
  std::vector<std::string> keys;
  {
    auto s = prepare(
      db, "SELECT key FROM documents WHERE collection = ?1 ORDER BY key");
    stmt_guard g{s};
    bind_value(db, s, 1, value::of_text(table));
    while (sqlite3_step(s) == SQLITE_ROW)
      keys.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  for (auto& k : keys)
    sink.log(table, k, nullptr);
  auto s = prepare(db, "DELETE FROM documents WHERE collection = ?1");
  stmt_guard g{s};
  bind_value(db, s, 1, value::of_text(table));
  sqlite3_step(s);
  return static_cast<int64_t>(keys.size());
}

table_def load_def(sqlite3* db, const std::string& name) {
  auto s = prepare(db, "SELECT def FROM sql_tables WHERE name = ?1");
  stmt_guard g{s};
  bind_value(db, s, 1, value::of_text(name));
  if (sqlite3_step(s) != SQLITE_ROW)
    throw sql_error("42P01", "relation \"" + name + "\" does not exist");
  return table_from_json(
    name, reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
}

void drop_sqlite_indexes(sqlite3* db, const table_def& t) {
  for (auto& i : t.indexes)
    exec(db, "DROP INDEX IF EXISTS " +
               quote_ident(sqlite_index_name(t.name, i.name)));
}

/// Steps a write statement that returns key, rev, doc (NULL doc: a
/// deletion) and, with `old_doc`, the deleted document fourth; user
/// columns after `hidden` go to `out`.
std::vector<changed_row> step_changes(sqlite3* db, sqlite3_stmt* s, int hidden,
                                      bool old_doc, std::vector<row>* out) {
  std::vector<changed_row> rows;
  int ncols = sqlite3_column_count(s);
  int rc;
  auto text = [&](int i) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return std::string(p ? p : "");
  };
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    changed_row c;
    c.key = text(0);
    c.deleted = sqlite3_column_type(s, 2) == SQLITE_NULL;
    if (!c.deleted) {
      c.rev = text(1);
      c.doc = text(2);
    } else if (old_doc && ncols > 3) {
      c.old_doc = text(3);
    }
    rows.push_back(std::move(c));
    if (out) {
      row r;
      for (int i = hidden; i < ncols; ++i)
        r.push_back(column_value(s, i));
      out->push_back(std::move(r));
    }
  }
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
  return rows;
}

/// Logs each changed row of `table`, in order.
void log_changed(sqlite3* db, change_sink& sink, const std::string& table,
                 std::vector<changed_row>& rows) {
  // a temp table's rows make no change event and take no sequence
  bool temp = is_temp_table(table);
  for (auto& c : rows) {
    if (c.deleted) {
      if (!temp)
        sink.log(table, c.key, nullptr);
      continue;
    }
    // the same nesting limit as every other writer: a row past it would
    // break SQLite's JSON functions for the whole collection
    if (!json_depth_ok(c.doc))
      throw sql_error("22P02", "invalid input syntax for type jsonb: "
                               "JSON nested deeper than " +
                                 std::to_string(max_json_depth()) +
                                 " levels (limits.max_json_depth)");
    if (temp)
      continue;
    auto seq = std::to_string(sink.next_sequence());
    if (c.rev != seq) {
      // an upsert skipped a number: renumber so the log stays dense
      auto f = prepare(db, "UPDATE documents SET rev = ?1, doc = "
                           "json_set(doc, '$._rev', ?1) WHERE collection = "
                           "?2 AND key = ?3 RETURNING doc");
      stmt_guard fg{f};
      bind_value(db, f, 1, value::of_text(seq));
      bind_value(db, f, 2, value::of_text(table));
      bind_value(db, f, 3, value::of_text(c.key));
      if (sqlite3_step(f) == SQLITE_ROW)
        c.doc = reinterpret_cast<const char*>(sqlite3_column_text(f, 0));
    }
    sink.log(table, c.key, &c.doc);
  }
}

/// DML: runs the statement once per parameter row, logs each change and
/// enforces the table's constraints.
void run_dml(sqlite3* db, write_counters& counters, change_sink& sink,
             write_job& job) {
  auto& st = job.st;
  auto s = job.cache ? job.cache->acquire(st.sql) : prepare(db, st.sql);
  struct done {
    statement_cache* c;
    sqlite3_stmt* s;
    ~done() { c ? c->release(s) : (void)sqlite3_finalize(s); }
  } g{job.cache, s};
  bool old_docs = st.kind == stmt_kind::remove && st.hidden_columns == 4;
  for (auto& params : job.param_rows) {
    // an UPDATE of the primary key moves rows to new keys: the old keys
    // get a DELETE event (read before the rows move)
    std::vector<std::string> old_keys;
    if (!st.old_keys_sql.empty()) {
      auto k = prepare(db, st.old_keys_sql);
      stmt_guard kg{k};
      bind_all(db, k, params);
      while (sqlite3_step(k) == SQLITE_ROW)
        old_keys.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(k, 0)));
    }
    // ON UPDATE CASCADE: the rows as they were, and where they go
    std::vector<updated_row> updated;
    if (!st.old_rows_sql.empty()) {
      auto k = prepare(db, st.old_rows_sql);
      stmt_guard kg{k};
      bind_all(db, k, params);
      auto text = [&](int i) {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(k, i));
        return std::string(p ? p : "");
      };
      while (sqlite3_step(k) == SQLITE_ROW)
        updated.emplace_back(text(2), text(1));
    }
    counters.next = sink.next_sequence();
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    bind_all(db, s, params);
    auto rows = step_changes(db, s, st.hidden_columns, old_docs,
                             st.returns_rows ? &job.result.rows : nullptr);
    if (!old_keys.empty()) {
      std::vector<changed_row> gone;
      for (auto& k : old_keys)
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const changed_row& r) { return r.key == k; }))
          gone.push_back({k, "", "", "", true});
      log_changed(db, sink, st.table, gone);
    }
    log_changed(db, sink, st.table, rows);
    job.result.affected += static_cast<int64_t>(rows.size());
    if (!st.constraint_tables || rows.empty())
      continue;
    dml_change ch;
    ch.tables = st.constraint_tables.get();
    ch.table = st.table;
    ch.removed = st.kind == stmt_kind::remove;
    ch.old_docs_known = old_docs;
    ch.in_block = job.in_block;
    ch.key_changed = !old_keys.empty();
    ch.updated = std::move(updated);
    ch.updated_known = !st.old_rows_sql.empty();
    for (auto& r : rows)
      (r.deleted ? ch.old_docs : ch.written)
        .push_back(r.deleted ? r.old_doc : r.key);
    enforce_constraints(db, counters, sink, ch, job.deferred_fks);
  }
}

} // namespace

std::vector<changed_row> run_logged(sqlite3* db, write_counters& counters,
                                    change_sink& sink, const std::string& table,
                                    const std::string& sql,
                                    const std::vector<value>& params) {
  auto s = prepare(db, sql);
  stmt_guard g{s};
  counters.next = sink.next_sequence();
  bind_all(db, s, params);
  auto rows = step_changes(db, s, sqlite3_column_count(s), true, nullptr);
  log_changed(db, sink, table, rows);
  return rows;
}

void save_table_def(sqlite3* db, const table_def& t) {
  save_def(db, t);
}

void exec_sql(sqlite3* db, const std::string& sql) {
  exec(db, sql);
}

query_cursor::query_cursor(sqlite3* db, const std::string& sql,
                           const std::vector<value>& params) :
  db_(db) {
  stmt_ = prepare(db, sql);
  try {
    bind_all(db, stmt_, params);
  } catch (...) {
    sqlite3_finalize(stmt_);
    throw;
  }
}

query_cursor::query_cursor(statement_cache& cache, sqlite3* db,
                           const std::string& sql,
                           const std::vector<value>& params) :
  db_(db),
  cache_(&cache) {
  stmt_ = cache.acquire(sql);
  try {
    bind_all(db, stmt_, params);
  } catch (...) {
    cache.release(stmt_);
    throw;
  }
}

query_cursor::~query_cursor() {
  if (cache_)
    cache_->release(stmt_);
  else
    sqlite3_finalize(stmt_);
}

statement_cache::~statement_cache() {
  for (auto& [sql, e] : by_sql_)
    sqlite3_finalize(e.stmt);
}

sqlite3_stmt* statement_cache::acquire(const std::string& sql) {
  auto it = by_sql_.find(sql);
  if (it != by_sql_.end() && !it->second.in_use) {
    it->second.in_use = true;
    it->second.last_used = ++clock_;
    return it->second.stmt;
  }
  auto s = prepare(db_, sql);
  if (it != by_sql_.end())
    return s; // the cached one is busy (an open cursor): a private copy
  if (by_sql_.size() >= capacity_) {
    // evict the least recently used idle statement
    auto victim = by_sql_.end();
    for (auto i = by_sql_.begin(); i != by_sql_.end(); ++i)
      if (!i->second.in_use && (victim == by_sql_.end() ||
                                i->second.last_used < victim->second.last_used))
        victim = i;
    if (victim == by_sql_.end())
      return s; // everything busy: not cached
    owner_.erase(victim->second.stmt);
    sqlite3_finalize(victim->second.stmt);
    by_sql_.erase(victim);
  }
  by_sql_[sql] = entry{s, true, ++clock_};
  owner_[s] = sql;
  return s;
}

void statement_cache::release(sqlite3_stmt* s) {
  auto it = owner_.find(s);
  if (it == owner_.end()) {
    sqlite3_finalize(s);
    return;
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  by_sql_[it->second].in_use = false;
}

bool query_cursor::fetch(size_t max_rows,
                         const std::function<void(row&)>& on_row) {
  if (done_)
    return false;
  int n = sqlite3_column_count(stmt_);
  size_t got = 0;
  row r;
  while (max_rows == 0 || got < max_rows) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) {
      done_ = true;
      return false;
    }
    if (rc != SQLITE_ROW) {
      done_ = true;
      raise_sqlite(db_, rc);
    }
    r.clear();
    for (int i = 0; i < n; ++i)
      r.push_back(column_value(stmt_, i));
    on_row(r);
    ++got;
    ++fetched_;
  }
  return true;
}

void run_write(sqlite3* db, write_counters& counters, change_sink& sink,
               write_job& job) {
  auto& st = job.st;
  auto& res = job.result;
  if (st.kind == stmt_kind::view_ddl) // sql_views.cpp (issue 36)
    return run_view_ddl(db, job);
  save_view_changes(db, st); // views dropped by CASCADE
  switch (st.kind) {
    case stmt_kind::insert:
    case stmt_kind::update:
    case stmt_kind::remove:
    case stmt_kind::copy_from:
      run_dml(db, counters, sink, job);
      return;
    case stmt_kind::create_table: {
      if (collection_exists(db, st.table)) {
        if (st.if_not_exists) {
          res.notice = "relation \"" + st.table + "\" already exists, skipping";
          return;
        }
        throw sql_error("42P07",
                        "relation \"" + st.table + "\" already exists");
      }
      // a temp table only under the session's own prefix (temp_tables.hpp)
      bool temp = is_temp_table(st.table) && !st.temp_ns.empty() &&
                  st.table.rfind(st.temp_ns, 0) == 0;
      if (temp ? !engine::valid_collection_name(temp_local_name(st.table))
               : !engine::valid_stored_collection_name(st.table))
        throw sql_error("42602", "invalid table name \"" + st.table +
                                   "\" (letters, digits, _ and -)");
      if (!temp) { // a temp table is no collection (temp_tables.hpp)
        auto s = prepare(db, "INSERT INTO collections(name, created_ms) "
                             "VALUES(?1, CAST((julianday('now') - "
                             "2440587.5) * 86400000 AS INTEGER))");
        stmt_guard g{s};
        bind_value(db, s, 1, value::of_text(st.table));
        if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
          raise_sqlite(db, rc);
      }
      save_def(db, st.def);
      for (auto& d : st.ddl)
        exec(db, d);
      exec(db, "DELETE FROM sql_sequences WHERE substr(name, 1, " +
                 std::to_string(st.table.size() + 1) +
                 ") = " + quote_literal(st.table + "."));
      res.schema_changed = true;
      if (!st.sql.empty()) // CREATE TABLE AS: the query's rows (issue 36)
        run_dml(db, counters, sink, job);
      return;
    }
    case stmt_kind::drop_table:
      for (auto& name : st.names) {
        // another session's temp table does not exist for this one
        if (!collection_exists(db, name) ||
            (is_temp_table(name) &&
             (st.temp_ns.empty() || name.rfind(st.temp_ns, 0) != 0))) {
          if (st.if_exists) {
            res.notice = "table \"" + name + "\" does not exist, skipping";
            continue;
          }
          throw sql_error("42P01", "table \"" + name + "\" does not exist");
        }
        delete_all(db, sink, name);
        try {
          drop_sqlite_indexes(db, load_def(db, name));
        } catch (const sql_error&) {
          // a REST collection: no definition, no indexes
        }
        engine::drop_doc_indexes(db, name); // issue 22: persistent/ttl
        auto s1 = prepare(db, "DELETE FROM sql_tables WHERE name = ?1");
        stmt_guard g1{s1};
        bind_value(db, s1, 1, value::of_text(name));
        sqlite3_step(s1);
        auto s2 = prepare(db, "DELETE FROM collections WHERE name = ?1");
        stmt_guard g2{s2};
        bind_value(db, s2, 1, value::of_text(name));
        sqlite3_step(s2);
        exec(db, "DELETE FROM sql_sequences WHERE substr(name, 1, " +
                   std::to_string(name.size() + 1) +
                   ") = " + quote_literal(name + "."));
        // sequences OWNED BY its columns go with it (issue 36)
        exec(db, "DELETE FROM sql_sequences WHERE name IN (SELECT key FROM "
                 "sql_seqdefs WHERE json_extract(def, '$.owner_table') = " +
                   quote_literal(name) + ")");
        exec(db, "DELETE FROM sql_seqdefs WHERE json_extract(def, "
                 "'$.owner_table') = " +
                   quote_literal(name));
      }
      for (auto& other : st.other_defs) // foreign keys dropped by CASCADE
        save_def(db, other);
      if (!st.notice.empty() && res.notice.empty())
        res.notice = st.notice;
      res.schema_changed = true;
      return;
    case stmt_kind::truncate:
      for (auto& name : st.names)
        delete_all(db, sink, name);
      if (!st.notice.empty())
        res.notice = st.notice;
      return;
    case stmt_kind::create_index: {
      auto t = load_def(db, st.table);
      auto& idx = st.def.indexes.back();
      for (auto& i : t.indexes)
        if (i.name == idx.name) {
          if (st.if_not_exists) {
            res.notice =
              "relation \"" + idx.name + "\" already exists, skipping";
            return;
          }
          throw sql_error("42P07",
                          "relation \"" + idx.name + "\" already exists");
        }
      for (auto& d : st.ddl)
        exec(db, d);
      t.indexes.push_back(idx);
      save_def(db, t);
      res.schema_changed = true;
      return;
    }
    case stmt_kind::drop_index: {
      for (auto& name : st.names) {
        bool found = false;
        auto s = prepare(db, "SELECT name FROM sql_tables");
        stmt_guard g{s};
        std::vector<std::string> tables;
        while (sqlite3_step(s) == SQLITE_ROW)
          tables.emplace_back(
            reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
        for (auto& tn : tables) {
          bool visible =
            st.ns.empty()
              ? st.all_namespaces || tn.find('.') == std::string::npos
              : tn.compare(0, st.ns.size(), st.ns) == 0;
          if (is_temp_table(tn)) // only the session's own temp tables
            visible = !st.temp_ns.empty() && tn.rfind(st.temp_ns, 0) == 0;
          if (!visible)
            continue; // another namespace's index of the same name
          auto t = load_def(db, tn);
          for (size_t i = 0; i < t.indexes.size(); ++i)
            if (t.indexes[i].name == name) {
              if (t.indexes[i].primary)
                throw sql_error("2BP01", "cannot drop index " + name +
                                           " because constraint " + name +
                                           " on table " + tn + " requires it");
              exec(db,
                   "DROP INDEX " + quote_ident(sqlite_index_name(tn, name)));
              t.indexes.erase(t.indexes.begin() + static_cast<long>(i));
              save_def(db, t);
              found = true;
              break;
            }
          if (found)
            break;
        }
        if (!found && !st.if_exists)
          throw sql_error("42704", "index \"" + name + "\" does not exist");
      }
      res.schema_changed = true;
      return;
    }
    case stmt_kind::alter_table:
    case stmt_kind::rename_table:
      run_alter(db, counters, sink, job);
      return;
    case stmt_kind::create_type:
    case stmt_kind::alter_type:
    case stmt_kind::drop_type:
      run_type_ddl(db, counters, sink, job);
      return;
    case stmt_kind::database_ddl: // issue 36 (sql_databases.cpp)
      run_database_ddl(db, counters, sink, job);
      return;
    case stmt_kind::function_ddl: // issue 36 (sql_udf.cpp)
      run_function_ddl(db, job);
      return;
    case stmt_kind::sequence_ddl: // issue 36 (translate_sequence_ddl.cpp)
      run_sequence_ddl(db, counters, job);
      return;
    case stmt_kind::select:
    case stmt_kind::copy_to: {
      // a read inside a transaction that has written: it must see its writes
      query_cursor c(
        db, st.kind == stmt_kind::select ? st.sql : st.copy.query_sql,
        job.param_rows.empty() ? std::vector<value>{} : job.param_rows[0]);
      c.fetch(0, [&](row& r) { res.rows.push_back(r); });
      return;
    }
    default:
      throw sql_error("XX000", "not a write statement");
  }
}

} // namespace themis::sql
