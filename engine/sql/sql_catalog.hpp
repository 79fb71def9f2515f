#pragma once
/// What SQL sees of the store: every collection is a table. Collections
/// created over SQL carry a definition (typed columns, primary key, unique
/// indexes) kept in `sql_tables`; their rows are documents whose fields are
/// the columns. Collections from the REST API are tables of three columns:
/// `_key`, `_rev` and `doc` (jsonb). The catalog is reloaded when the
/// schema epoch moves (DDL or a collection created or dropped anywhere).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/sql/sql_types.hpp"

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
};

struct index_def {
  std::string name;         ///< PostgreSQL name (t_pkey, user's name)
  std::vector<int> columns; ///< column positions
  bool unique = false;
  bool primary = false;
};

struct table_def {
  std::string name;
  uint32_t oid = 0;
  bool typed = true; ///< false: a REST collection (_key, _rev, doc)
  std::vector<column_def> columns;
  std::vector<index_def> indexes;

  int find(const std::string& column) const;
  /// The primary key's columns (empty: none).
  std::vector<int> primary_key() const;
};

/// SQLite expression reading column `c` of table `t` from a `documents` row
/// named `row` (e.g. "doc" or "excluded.doc"): typed by CAST so comparisons
/// get the column's affinity, and identical to the index expressions.
std::string column_expr(const table_def& t, const column_def& c,
                        const std::string& row = "doc");
/// The SQLite name of a PostgreSQL index on `table`.
std::string sqlite_index_name(const std::string& table, const std::string& idx);
/// `CREATE [UNIQUE] INDEX …` on documents for `idx`.
std::string create_index_sql(const table_def& t, const index_def& idx);

std::string to_json(const table_def& t);
table_def table_from_json(const std::string& name, const std::string& json);
uint32_t table_oid(const std::string& name);

class catalog {
public:
  /// Reads every collection and definition through `db`.
  static catalog load(sqlite3* db);
  /// What one namespace sees (issue 9): with `prefix` ("acme."), only that
  /// tenant's tables, keyed by their local names (their `name` stays the
  /// stored one, so generated SQL and oids are unchanged); with no prefix,
  /// every table when `all`, else only the global namespace's.
  catalog scoped(const std::string& prefix, bool all) const;

  const table_def* find(const std::string& name) const;
  /// A transaction's own DDL, seen by it before the commit.
  void put(table_def t) {
    auto key = local(t.name);
    tables_[key] = std::move(t);
  }
  /// `name`: stored or local.
  void erase(const std::string& name) { tables_.erase(local(name)); }
  const std::map<std::string, table_def>& tables() const { return tables_; }
  uint64_t epoch = 0;

private:
  std::string local(const std::string& stored) const {
    if (!prefix_.empty() && stored.compare(0, prefix_.size(), prefix_) == 0)
      return stored.substr(prefix_.size());
    return stored;
  }
  std::map<std::string, table_def> tables_;
  std::string prefix_;
};

/// SQL quoting helpers.
std::string quote_ident(const std::string& s);
std::string quote_literal(const std::string& s);
/// JSON path of a field: $."name".
std::string json_path(const std::string& field);

} // namespace themis::sql
