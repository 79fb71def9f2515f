#pragma once
/// SQLite functions, aggregates and the collation behind exact `numeric`
/// (issue 36; pg_numeric.hpp). In translated SQL a numeric value is TEXT in
/// canonical decimal form ('12.50', 'NaN', 'Infinity'); these accept
/// INTEGER, REAL and TEXT arguments and always return TEXT, so ORDER BY,
/// GROUP BY, DISTINCT, min and max compare them with COLLATE themis_num.

struct sqlite3;

namespace themis::sql {

/// themis_num_add/sub/mul/div/mod/neg/abs/round/trunc/ceil/floor/sign/cmp,
/// themis_num (to numeric), themis_num_col (a document field's exact
/// text), themis_num_json (a value for a document), themis_num_typmod,
/// themis_num_to_int, themis_num_to_float, the aggregates themis_num_sum
/// and themis_num_avg, and the collation themis_num.
void register_numeric_functions(sqlite3* db);

} // namespace themis::sql
