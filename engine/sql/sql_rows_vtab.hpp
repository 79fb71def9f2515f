#pragma once
/// Table-valued functions whose rows are computed when the statement
/// binds their arguments (an eponymous SQLite virtual table): the SQLite
/// plumbing once, for themis_unnest and themis_srf. Being table-valued
/// functions rather than subqueries, their arguments may name columns of
/// the FROM items before them.

#include <vector>

#include "engine/sql/sql_types.hpp"

struct sqlite3;
struct sqlite3_value;

namespace themis::sql {

struct rows_function {
  const char* name;
  /// CREATE TABLE x(…): visible columns, then `ordinality`, then the
  /// HIDDEN argument columns.
  const char* schema;
  int ordinality_column;
  int first_argument; ///< column index of the first HIDDEN argument
  int required;       ///< arguments that must be given
  int optional;       ///< arguments that may follow
  /// Computes the rows (one value per visible column) for the given
  /// arguments; throws sql_error (reported with its SQLSTATE).
  void (*fill)(int argc, sqlite3_value** argv,
               std::vector<std::vector<value>>& rows);
};

/// Registers `f` on `db`; `f` must outlive the connection (a static).
void register_rows_function(sqlite3* db, const rows_function& f);

} // namespace themis::sql
