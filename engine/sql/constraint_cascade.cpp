#include "engine/sql/constraint_cascade.hpp"

#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

namespace {

const column_def& col(const table_def& t, int pos) {
  return t.columns[static_cast<size_t>(pos)];
}

std::string text_of(sqlite3_stmt* s, int i) {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? p : "";
}

/// The document of `key` in `table` now ("" if there is none).
std::string current_doc(sqlite3* db, const std::string& table,
                        const std::string& key) {
  auto s = prepare_statement(
    db, "SELECT doc FROM documents WHERE collection = ?1 AND key = ?2");
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(table));
  bind_value(db, s, 2, value::of_text(key));
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    return text_of(s, 0);
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
  return "";
}

} // namespace

cascade_result cascade_update(sqlite3* db, write_counters& counters,
                              change_sink& sink, const table_def& parent,
                              const table_def& child, const foreign_key_def& fk,
                              const std::vector<updated_row>& updated) {
  // ?1: the parent's document before, ?2: after. Children of the old key
  // (MATCH SIMPLE and FULL alike: a null never equals), only when the
  // referenced key really changed
  std::string match, same = "1";
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    auto& pc = col(parent, fk.ref_columns[i]);
    match += " AND " + column_expr(child, col(child, fk.columns[i]), "c.doc") +
             " = " + column_expr(parent, pc, "?1");
    same += " AND " + column_expr(parent, pc, "?1") + " IS " +
            column_expr(parent, pc, "?2");
  }
  auto find_sql = "SELECT c.key, c.doc FROM documents c WHERE c.collection = " +
                  quote_literal(child.name) + match + " AND NOT (" + same + ")";
  // a child whose (single-column) primary key is a referencing column
  // moves to a new document key, as an UPDATE of its primary key does
  auto pk = child.primary_key();
  std::string new_key;
  std::string sets;
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    auto& c = col(child, fk.columns[i]);
    auto v = coerce_sql(
      child, c, column_expr(parent, col(parent, fk.ref_columns[i]), "?2"));
    if (pk.size() == 1 && pk[0] == fk.columns[i]) {
      new_key = "CAST(" + v + " AS TEXT)";
      sets += ", '$._key', " + new_key;
    }
    sets += ", " + json_path(c.name) + ", " + stored_value_sql(c, v);
  }
  auto update_sql =
    "UPDATE documents SET " +
    (new_key.empty() ? "" : "key = " + new_key + ", ") +
    "rev = CAST(themis_seq() AS TEXT), doc = json_set(doc, '$._rev', "
    "CAST(themis_seq_last() AS TEXT)" +
    sets + ") WHERE collection = " + quote_literal(child.name) +
    " AND key = ?1 RETURNING key, rev, doc";
  cascade_result out;
  for (auto& [old_doc, key] : updated) {
    auto new_doc = current_doc(db, parent.name, key);
    if (new_doc.empty())
      continue; // gone meanwhile: nothing to follow
    std::vector<std::pair<std::string, std::string>> children;
    {
      auto s = prepare_statement(db, find_sql);
      statement_guard g{s};
      bind_value(db, s, 1, value::of_text(old_doc));
      bind_value(db, s, 2, value::of_text(new_doc));
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        children.emplace_back(text_of(s, 0), text_of(s, 1));
      if (rc != SQLITE_DONE)
        raise_sqlite(db, rc);
    }
    for (auto& [child_key, child_doc] : children) {
      auto rows =
        run_logged(db, counters, sink, child.name, update_sql,
                   {value::of_text(child_key), value::of_text(new_doc)});
      for (auto& r : rows) {
        if (r.key != child_key) {
          // the old key's DELETE event, as for an UPDATE of the key
          run_logged(db, counters, sink, child.name,
                     "SELECT ?1, NULL, NULL, ?2",
                     {value::of_text(child_key), value::of_text(child_doc)});
          out.key_changed = true;
        }
        out.written.push_back(r.key);
        out.rows.emplace_back(child_doc, r.key);
      }
    }
  }
  return out;
}

} // namespace themis::sql
