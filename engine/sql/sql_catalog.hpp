#pragma once
/// What SQL sees of the store: every collection is a table. Collections
/// created over SQL carry a definition (typed columns, primary key, unique
/// indexes) kept in `sql_tables`; their rows are documents whose fields are
/// the columns. Collections from the REST API are tables of three columns:
/// `_key`, `_rev` and `doc` (jsonb). The catalog is reloaded when the
/// schema epoch moves (DDL or a collection created or dropped anywhere).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/sql/sql_types.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/sql_udf_def.hpp"

struct sqlite3;

namespace themis::sql {

struct column_def {
  std::string name;
  uint32_t type_oid = 25;
  int32_t typmod = -1;
  bool not_null = false;
  bool serial = false;      ///< default is the table's sequence
  std::string default_sql;  ///< SQLite expression (translated), may be empty
  std::string default_text; ///< as the user wrote it (for \d)
  std::string comment;      ///< COMMENT ON COLUMN (issue 36; "" = none)
};

struct index_def {
  std::string name;         ///< PostgreSQL name (t_pkey, user's name)
  std::vector<int> columns; ///< column positions
  bool unique = false;
  bool primary = false;
  /// CREATE UNIQUE INDEX, not a UNIQUE constraint: no pg_constraint row
  /// (issue 36: Inspector, pg_dump tell the two apart).
  bool index_only = false;
  std::string comment; ///< COMMENT ON INDEX / CONSTRAINT (issue 36)
};

/// FOREIGN KEY (columns) REFERENCES ref_table (ref_columns): checked by
/// the store writer after each write (engine/sql/constraint_check.cpp).
/// Actions use pg_constraint's letters: a no action, r restrict,
/// c cascade, n set null, d set default.
struct foreign_key_def {
  std::string name;
  std::vector<int> columns;     ///< positions in this table
  std::string ref_table;        ///< stored name of the referenced table
  std::vector<int> ref_columns; ///< positions in the referenced table
  char on_delete = 'a';
  char on_update = 'a';
  char match = 's'; ///< s simple, f full
  bool deferrable = false;
  bool deferred = false; ///< INITIALLY DEFERRED
  std::string comment;   ///< COMMENT ON CONSTRAINT (issue 36)
};

/// CHECK (expr): `text` as PostgreSQL shows it inside CHECK (…), `sql`
/// the same condition for SQLite over the row's `doc`.
struct check_def {
  std::string name;
  std::string text;
  std::string sql;
  std::string comment; ///< COMMENT ON CONSTRAINT (issue 36)
};

/// A REST persistent index of a collection (issue 22, docs/indexes.md),
/// so SQL over `doc ->> 'field'` can read it (translate_index_hint.cpp).
struct doc_index_ref {
  std::string json_path;  ///< the first field's "$.a"
  std::string side_table; ///< a ready background index's "docbg:…"; else ""
  bool sparse = false;
  size_t fields = 1;
};

struct table_def {
  std::string name;
  uint32_t oid = 0;
  bool typed = true; ///< false: a REST collection (_key, _rev, doc)
  std::vector<column_def> columns;
  std::vector<index_def> indexes;
  /// A temporary table's ON COMMIT action (issue 36; temp_tables.hpp):
  /// "drop", "delete" (DELETE ROWS) or "" (PRESERVE ROWS).
  std::string on_commit;
  std::vector<foreign_key_def> foreign_keys;
  std::vector<check_def> checks;
  /// COMMENT ON TABLE (issue 36; pg_description, obj_description).
  std::string comment;
  /// A collection's ready REST persistent indexes (untyped tables).
  std::vector<doc_index_ref> doc_indexes;

  int find(const std::string& column) const;
  /// The primary key's columns (empty: none).
  std::vector<int> primary_key() const;
};

/// SQLite expression reading column `c` of table `t` from a `documents` row
/// named `row` (e.g. "doc" or "excluded.doc"): typed by CAST so comparisons
/// get the column's affinity, and identical to the index expressions.
std::string column_expr(const table_def& t, const column_def& c,
                        const std::string& row = "doc");
/// The expression an index of `t` keeps for column `c`: column_expr, but
/// a numeric's value without trailing fraction zeros (themis_num_key), so
/// a UNIQUE index holds 1.5 and 1.50 as one key as PostgreSQL does.
std::string index_expr(const table_def& t, const column_def& c);
/// `v` checked and converted to column `c`'s type (22P02, 23502 …).
std::string coerce_sql(const table_def& t, const column_def& c,
                       const std::string& v);
/// SQLite expression storing `v` (already coerced) in a document field.
std::string stored_value_sql(const column_def& c, const std::string& v);
/// pg_get_constraintdef of a foreign key of `t` referencing `ref`
/// (shown as `ref_name`).
std::string fk_definition(const table_def& t, const foreign_key_def& fk,
                          const table_def& ref, const std::string& ref_name);
/// The SQLite name of a PostgreSQL index on `table`.
std::string sqlite_index_name(const std::string& table, const std::string& idx);
/// `CREATE [UNIQUE] INDEX …` on documents for `idx`.
std::string create_index_sql(const table_def& t, const index_def& idx);

std::string to_json(const table_def& t);
table_def table_from_json(const std::string& name, const std::string& json);
uint32_t table_oid(const std::string& name);
/// The oid of constraint or index `name` of table `t`.
inline uint32_t constraint_oid(const table_def& t, const std::string& name) {
  return table_oid(t.name + ":" + name);
}

/// CREATE TYPE name AS ENUM (labels…).
struct enum_def {
  std::string name; ///< stored name (with the tenant's namespace)
  uint32_t oid = 0;
  std::vector<std::string> labels;
};

/// CREATE VIEW (issue 36; sql_views.cpp): a stored query, expanded as a
/// subquery wherever the view is named, so it reads the tables as a
/// hand-written subquery would (namespaces, temp tables, column types).
struct view_def {
  std::string name; ///< stored name (with the tenant's namespace)
  uint32_t oid = 0;
  /// The SELECT as pg_get_viewdef prints it (leading space, no `;`); it is
  /// parsed again at each use.
  std::string query;
  /// The same with its relations as public.t: what pg_get_viewdef prints
  /// for a session without public on its search_path (pg_dump's).
  std::string qualified;
  /// Output columns: name, type_oid and typmod only.
  std::vector<column_def> columns;
  /// Stored names of the tables and views the query reads (pg_depend,
  /// DROP … RESTRICT/CASCADE).
  std::vector<std::string> deps;
};
std::string to_json(const view_def& v);
view_def view_from_json(const std::string& name, const std::string& json);

class catalog {
public:
  /// Reads every collection and definition through `db`.
  static catalog load(sqlite3* db);
  /// What one namespace sees (issue 9): with `prefix` ("acme."), only that
  /// tenant's tables, keyed by their local names (their `name` stays the
  /// stored one, so generated SQL and oids are unchanged); with no prefix,
  /// every table when `all`, else only the global namespace's.
  /// `temp_prefix` (temp_tables.hpp): the session's own temp tables,
  /// which no other catalog shows, are added under their local names.
  catalog scoped(const std::string& prefix, bool all,
                 const std::string& temp_prefix = {}) const;

  /// An unqualified name: the session's temp table first (pg_temp comes
  /// first in search_path), then the permanent one.
  const table_def* find(const std::string& name) const;
  /// `public.name` / `pg_temp.name`.
  const table_def* find_permanent(const std::string& name) const;
  const table_def* find_temp(const std::string& name) const;
  /// The session's temp tables by local name (schema pg_temp_<pid>).
  const std::map<std::string, table_def>& temp_tables() const { return temp_; }
  /// A transaction's own DDL, seen by it before the commit.
  void put(table_def t) {
    if (is_temp(t.name)) { // issue 36
      auto key = temp_local(t.name);
      temp_[key] = std::move(t);
      constraint_cache_.reset();
      constraint_cached_ = false;
      return;
    }
    auto key = local(t.name);
    tables_[key] = std::move(t);
    constraint_cache_.reset();
    constraint_cached_ = false;
  }
  /// `name`: stored or local.
  void erase(const std::string& name) {
    if (is_temp(name)) { // issue 36
      temp_.erase(temp_local(name));
      constraint_cache_.reset();
      constraint_cached_ = false;
      return;
    }
    tables_.erase(local(name));
    constraint_cache_.reset();
    constraint_cached_ = false;
  }
  const std::map<std::string, table_def>& tables() const { return tables_; }
  /// Enum types by the names the namespace sees.
  const enum_def* find_enum(const std::string& name) const {
    auto it = enums_.find(name);
    return it == enums_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, enum_def>& enums() const { return enums_; }
  void put_enum(enum_def e) {
    auto key = local(e.name);
    enums_[key] = std::move(e);
  }
  void erase_enum(const std::string& name) { enums_.erase(local(name)); }
  /// Sequences made by CREATE SEQUENCE by the names the namespace sees
  /// (the session's temp ones under their local names; sql_sequences.hpp).
  /// A serial column's implicit sequence is not among them.
  const sequence_def* find_sequence(const std::string& name) const {
    auto it = sequences_.find(name);
    return it == sequences_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, sequence_def>& sequences() const {
    return sequences_;
  }
  void put_sequence(sequence_def s); ///< sql_sequences_ddl.cpp
  void erase_sequence(const std::string& stored_name);
  /// User functions by the names the namespace sees, each name's
  /// overloads (issue 36; sql_udf.cpp).
  const std::map<std::string, std::vector<function_def>>& functions() const {
    return functions_;
  }
  const std::vector<function_def>* find_functions(const std::string& name) const;
  /// A transaction's own CREATE / DROP FUNCTION, seen before the commit.
  void put_function(function_def f);
  void erase_function(const std::string& stored_key);
  /// Views by the names the namespace sees (the session's temp views
  /// under their local names too; sql_views.cpp).
  const view_def* find_view(const std::string& name) const;
  const std::map<std::string, view_def>& views() const { return views_; }
  void put_view(view_def v);
  void erase_view(const std::string& name);
  /// The tables of this catalog that have a FOREIGN KEY or CHECK or are
  /// referenced by a FOREIGN KEY (null: none); computed once per catalog.
  std::shared_ptr<const std::vector<table_def>> constraint_tables() const;
  uint64_t epoch = 0;

private:
  std::string local(const std::string& stored) const {
    if (!prefix_.empty() && stored.compare(0, prefix_.size(), prefix_) == 0)
      return stored.substr(prefix_.size());
    return stored;
  }
  std::map<std::string, table_def> tables_;
  std::map<std::string, enum_def> enums_;
  std::map<std::string, sequence_def> sequences_; ///< issue 36
  std::map<std::string, sequence_def> all_sequences_; ///< stored names
  void scope_sequences(const catalog& all, const std::string& prefix,
                       bool all_namespaces, const std::string& temp_prefix);
  std::map<std::string, std::vector<function_def>> functions_;
  void load_functions(sqlite3* db); ///< sql_udf.cpp
  void scope_functions(const catalog& all, const std::string& prefix,
                       bool all_namespaces);
  std::map<std::string, view_def> views_; ///< issue 36 (views)
  std::string temp_prefix_; ///< the scoped session's temp names (views)
  std::string prefix_;
  // temp tables (issue 36): every session's as loaded (stored names), and
  // the scoped session's own (local names)
  static bool is_temp(const std::string& stored);
  static std::string temp_local(const std::string& stored);
  std::map<std::string, table_def> all_temp_;
  std::map<std::string, table_def> temp_;
  mutable std::shared_ptr<const std::vector<table_def>> constraint_cache_;
  mutable bool constraint_cached_ = false;
};

/// SQL quoting helpers.
std::string quote_ident(const std::string& s);
std::string quote_literal(const std::string& s);
/// JSON path of a field: $."name".
std::string json_path(const std::string& field);

} // namespace themis::sql
