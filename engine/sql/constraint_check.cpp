#include "engine/sql/constraint_check.hpp"

#include <deque>
#include <set>
#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

namespace {

const table_def* find_table(const std::vector<table_def>& all,
                            const std::string& name) {
  for (auto& t : all)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::string local(const std::string& stored) {
  auto dot = stored.find('.');
  return dot == std::string::npos ? stored : stored.substr(dot + 1);
}

const column_def& col(const table_def& t, int pos) {
  return t.columns[static_cast<size_t>(pos)];
}

/// "(a, b)" of the key columns.
std::string key_names(const table_def& t, const std::vector<int>& cols) {
  std::string s;
  for (auto p : cols)
    s += (s.empty() ? "" : ", ") + col(t, p).name;
  return "(" + s + ")";
}

/// `c` rows of `child` whose key columns reference no row of `parent`
/// (`restrict`: a further condition). Columns: key, doc, then the key
/// values as text, then whether all are null and whether any is null.
std::string orphans_sql(const table_def& child, const table_def& parent,
                        const foreign_key_def& fk,
                        const std::string& restrict) {
  std::string vals, all_null = "1", any_null = "0", match;
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    auto c = column_expr(child, col(child, fk.columns[i]), "c.doc");
    auto p = column_expr(parent, col(parent, fk.ref_columns[i]), "p.doc");
    vals += ", CAST(" + c + " AS TEXT)";
    all_null += " AND " + c + " IS NULL";
    any_null += " OR " + c + " IS NULL";
    match += " AND " + p + " = " + c;
  }
  // MATCH SIMPLE: a key with a null column references nothing; MATCH
  // FULL: only an all-null key does (a partly null one is an error)
  std::string skip =
    fk.match == 'f' ? "NOT (" + all_null + ")" : "NOT (" + any_null + ")";
  return "SELECT c.key, c.doc" + vals + ", " + any_null +
         " FROM documents c WHERE c.collection = " + quote_literal(child.name) +
         " AND " + skip + restrict + " AND (" + any_null +
         " OR NOT EXISTS (SELECT 1 FROM documents p WHERE p.collection = " +
         quote_literal(parent.name) + match + ")) LIMIT 1";
}

struct orphan {
  std::string key, doc, values;
  bool partly_null = false;
};

std::vector<orphan> find_orphans(sqlite3* db, const std::string& sql,
                                 size_t ncols, const std::vector<value>& params,
                                 bool all) {
  auto q = all ? sql.substr(0, sql.size() - 8) : sql; // drop " LIMIT 1"
  auto s = prepare_statement(db, q);
  statement_guard g{s};
  for (size_t i = 0; i < params.size(); ++i)
    bind_value(db, s, static_cast<int>(i + 1), params[i]);
  std::vector<orphan> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    orphan o;
    auto text = [&](int i) {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return std::string(p ? p : "null");
    };
    o.key = text(0);
    o.doc = text(1);
    for (size_t i = 0; i < ncols; ++i)
      o.values += (i ? ", " : "") + text(static_cast<int>(2 + i));
    o.partly_null = sqlite3_column_int(s, static_cast<int>(2 + ncols)) != 0;
    out.push_back(std::move(o));
  }
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
  return out;
}

[[noreturn]] void child_violation(const table_def& child,
                                  const table_def& parent,
                                  const foreign_key_def& fk, const orphan& o) {
  auto detail = o.partly_null
                  ? std::string("MATCH FULL does not allow mixing of null and "
                                "nonnull key values.")
                  : "Key " + key_names(child, fk.columns) + "=(" + o.values +
                      ") is not present in table \"" + local(parent.name) +
                      "\".";
  throw sql_error(
    "23503", "insert or update on table \"" + local(child.name) +
               "\" violates foreign key constraint \"" + fk.name + "\"" +
               error_trailer("public", local(child.name), "", fk.name, detail));
}

/// Rows of `t` just written: their CHECK constraints and foreign keys
/// (with `only`, that foreign key alone: a SET DEFAULT action's).
void check_written(sqlite3* db, const std::vector<table_def>& all,
                   const table_def& t, const std::vector<std::string>& keys,
                   bool in_block, std::vector<pending_fk>& deferred,
                   const foreign_key_def* only = nullptr) {
  if (!t.checks.empty() && !only) {
    std::string cases;
    for (size_t i = 0; i < t.checks.size(); ++i)
      cases += " WHEN NOT " + t.checks[i].sql + " THEN " + std::to_string(i);
    auto s = prepare_statement(
      db, "SELECT CASE" + cases +
            " ELSE -1 END FROM documents WHERE collection = ?1 AND key = ?2");
    statement_guard g{s};
    for (auto& k : keys) {
      sqlite3_reset(s);
      bind_value(db, s, 1, value::of_text(t.name));
      bind_value(db, s, 2, value::of_text(k));
      int rc = sqlite3_step(s);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        raise_sqlite(db, rc);
      int failed = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
      if (failed >= 0) {
        auto& c = t.checks[static_cast<size_t>(failed)];
        throw sql_error(
          "23514", "new row for relation \"" + local(t.name) +
                     "\" violates check constraint \"" + c.name + "\"" +
                     error_trailer("public", local(t.name), "", c.name, ""));
      }
    }
  }
  for (auto& fk : t.foreign_keys) {
    if (only && only->name != fk.name)
      continue;
    auto* parent = fk.ref_table == t.name ? &t : find_table(all, fk.ref_table);
    if (!parent)
      continue; // dropped meanwhile: nothing to reference
    if (fk.deferred && in_block) {
      deferred.push_back({t, *parent, fk});
      continue;
    }
    auto sql = orphans_sql(t, *parent, fk, " AND c.key = ?1");
    for (auto& k : keys) {
      auto o =
        find_orphans(db, sql, fk.columns.size(), {value::of_text(k)}, false);
      if (!o.empty())
        child_violation(t, *parent, fk, o.front());
    }
  }
}

/// Rows a cascade wrote, checked once every cascade is done (a row two
/// cascading keys change is valid only after both).
using written_rows =
  std::vector<std::pair<const table_def*, std::vector<std::string>>>;

struct removal {
  std::string table;
  std::vector<std::string> old_docs;
  bool known = false;
  bool update = false;
  bool key_changed = false;         ///< the update changed primary keys
  std::vector<updated_row> updated; ///< see dml_change::updated
  bool updated_known = false;
};

/// Rows of referencing tables left without their parent by `r`: an
/// error, or the ON DELETE / ON UPDATE action (which may remove rows in
/// turn: queued).
void follow_references(sqlite3* db, write_counters& counters, change_sink& sink,
                       const std::vector<table_def>& all, const removal& r,
                       bool in_block, std::vector<pending_fk>& deferred,
                       std::deque<removal>& queue, written_rows& cascaded) {
  auto* parent = find_table(all, r.table);
  if (!parent)
    return;
  for (auto& child : all)
    for (auto& fk : child.foreign_keys) {
      if (fk.ref_table != r.table)
        continue;
      char action = r.update ? fk.on_update : fk.on_delete;
      if (action == 'c' && r.update && r.updated_known) {
        auto done =
          cascade_update(db, counters, sink, *parent, child, fk, r.updated);
        if (done.written.empty())
          continue;
        // the child's own CHECK and foreign keys must hold for its new
        // values: checked at the end
        cascaded.emplace_back(&child, done.written);
        removal next{child.name, {}, false, true, done.key_changed};
        next.updated = std::move(done.rows);
        next.updated_known = true;
        queue.push_back(std::move(next));
        continue;
      }
      // an UPDATE that left the primary key alone orphans nothing there
      if (r.update && !r.key_changed && fk.ref_columns == parent->primary_key())
        continue;
      auto ncols = fk.columns.size();
      std::vector<orphan> rows;
      std::set<std::string> seen;
      if (r.known && r.old_docs.size() <= 64) {
        std::string restrict;
        for (size_t i = 0; i < ncols; ++i)
          restrict +=
            " AND " + column_expr(child, col(child, fk.columns[i]), "c.doc") +
            " = " + column_expr(*parent, col(*parent, fk.ref_columns[i]), "?1");
        auto sql = orphans_sql(child, *parent, fk, restrict);
        for (auto& old : r.old_docs)
          for (auto& o :
               find_orphans(db, sql, ncols, {value::of_text(old)}, true))
            if (seen.insert(o.key).second)
              rows.push_back(std::move(o));
      } else {
        rows = find_orphans(db, orphans_sql(child, *parent, fk, ""), ncols, {},
                            true);
      }
      if (rows.empty())
        continue;
      if ((action == 'a' && fk.deferred && in_block)) {
        deferred.push_back({child, *parent, fk});
        continue;
      }
      if (action == 'a' || action == 'r')
        throw sql_error(
          "23503", "update or delete on table \"" + local(parent->name) +
                     "\" violates foreign key constraint \"" + fk.name +
                     "\" on table \"" + local(child.name) + "\"" +
                     error_trailer("public", local(child.name), "", fk.name,
                                   "Key " + key_names(*parent, fk.ref_columns) +
                                     "=(" + rows.front().values +
                                     ") is still referenced from table \"" +
                                     local(child.name) + "\"."));
      if (action == 'c' && r.update) // a write whose old rows are unknown
        throw sql_error("0A000", "ON UPDATE CASCADE of foreign key \"" +
                                   fk.name +
                                   "\" is not supported for this statement");
      std::string sql;
      if (action == 'c') {
        sql = "DELETE FROM documents WHERE collection = " +
              quote_literal(child.name) +
              " AND key = ?1 RETURNING key, NULL, NULL, doc";
      } else {
        sql = "UPDATE documents SET rev = CAST(themis_seq() AS TEXT), doc = "
              "json_set(doc, '$._rev', CAST(themis_seq_last() AS TEXT)";
        for (auto pos : fk.columns) {
          auto& c = col(child, pos);
          auto v =
            action == 'd' && !c.default_sql.empty() ? c.default_sql : "NULL";
          sql += ", " + json_path(c.name) + ", " +
                 stored_value_sql(c, coerce_sql(child, c, v));
        }
        sql += ") WHERE collection = " + quote_literal(child.name) +
               " AND key = ?1 RETURNING key, rev, doc";
      }
      removal next{child.name, {}, true, false};
      std::vector<std::string> written;
      for (auto& o : rows)
        for (auto& ch : run_logged(db, counters, sink, child.name, sql,
                                   {value::of_text(o.key)})) {
          if (ch.deleted)
            next.old_docs.push_back(ch.old_doc);
          else
            written.push_back(ch.key);
        }
      if (!written.empty() && action == 'd') // the default must reference
        check_written(db, all, child, written, in_block, deferred, &fk);
      if (!next.old_docs.empty())
        queue.push_back(std::move(next));
    }
}

} // namespace

void enforce_constraints(sqlite3* db, write_counters& counters,
                         change_sink& sink, const dml_change& change,
                         std::vector<pending_fk>& deferred) {
  auto& all = *change.tables;
  auto* t = find_table(all, change.table);
  if (!t)
    return;
  // the rows' own checks come after the cascades: a row that references
  // itself follows its own new key first (as PostgreSQL's RI triggers,
  // which check only the row's live version)
  struct own_checks {
    sqlite3* db;
    const std::vector<table_def>& all;
    const table_def& t;
    const dml_change& change;
    std::vector<pending_fk>& deferred;
    void run() const {
      if (!change.written.empty())
        check_written(db, all, t, change.written, change.in_block, deferred);
    }
  } own{db, all, *t, change, deferred};
  bool referenced = false;
  for (auto& other : all)
    for (auto& fk : other.foreign_keys)
      referenced = referenced || fk.ref_table == t->name;
  if (!referenced ||
      (change.removed && change.old_docs.empty() && change.old_docs_known))
    return own.run();
  if (!change.removed && change.written.empty())
    return own.run();
  std::deque<removal> queue;
  written_rows cascaded;
  removal first{t->name, change.old_docs,
                change.removed && change.old_docs_known, !change.removed,
                change.key_changed};
  first.updated = change.updated;
  first.updated_known = change.updated_known;
  queue.push_back(std::move(first));
  // every step deletes rows that exist, so the cascade ends; the bound
  // only guards against a bug turning it into a loop
  for (size_t steps = 0; !queue.empty(); ++steps) {
    if (steps > 1000000)
      throw sql_error("54001", "foreign key cascade too deep");
    auto r = std::move(queue.front());
    queue.pop_front();
    follow_references(db, counters, sink, all, r, change.in_block, deferred,
                      queue, cascaded);
  }
  for (auto& [table, keys] : cascaded) // a key moved on since: not found
    check_written(db, all, *table, keys, change.in_block, deferred);
  own.run();
}

void check_deferred(sqlite3* db, const std::vector<pending_fk>& deferred) {
  std::set<std::string> done;
  for (auto& p : deferred) {
    if (!done.insert(p.child.name + "\x1e" + p.fk.name).second)
      continue;
    auto o = find_orphans(db, orphans_sql(p.child, p.parent, p.fk, ""),
                          p.fk.columns.size(), {}, false);
    if (!o.empty())
      child_violation(p.child, p.parent, p.fk, o.front());
  }
}

} // namespace themis::sql
