#pragma once
/// FOREIGN KEY and CHECK enforcement on the store writer's connection,
/// after a DML statement changed rows and inside its savepoint: a
/// violation throws sql_error (23503 / 23514 / 23502) and the caller
/// rolls the statement back. Cascaded deletes and updates and SET NULL /
/// SET DEFAULT updates are logged like any other write.

#include <string>
#include <vector>

#include "engine/sql/constraint_cascade.hpp"
#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_functions.hpp"

struct sqlite3;

namespace themis::sql {

class change_sink;

/// A DEFERRABLE INITIALLY DEFERRED foreign key touched inside a
/// transaction block: checked over the whole child table at COMMIT.
struct pending_fk {
  table_def child;
  table_def parent;
  foreign_key_def fk;
};

/// What one DML statement changed.
struct dml_change {
  const std::vector<table_def>* tables = nullptr; ///< constraint tables
  std::string table;                              ///< stored name
  bool removed = false;                           ///< a DELETE
  std::vector<std::string> written;  ///< keys of rows inserted/updated
  std::vector<std::string> old_docs; ///< deleted rows (when known)
  bool old_docs_known = false;
  bool in_block = false;    ///< inside BEGIN … COMMIT (deferral allowed)
  bool key_changed = false; ///< an UPDATE moved rows to new primary keys
  /// An UPDATE of a table an ON UPDATE CASCADE key references: each row's
  /// document before and key after (read before it ran).
  std::vector<updated_row> updated;
  bool updated_known = false;
};

void enforce_constraints(sqlite3* db, write_counters& counters,
                         change_sink& sink, const dml_change& change,
                         std::vector<pending_fk>& deferred);

/// At COMMIT: every deferred foreign key holds (else 23503).
void check_deferred(sqlite3* db, const std::vector<pending_fk>& deferred);

} // namespace themis::sql
