#pragma once
/// The SQLite functions behind PostgreSQL arrays (issue 36), registered by
/// register_srf_functions() on every connection that runs translated SQL.

struct sqlite3;

namespace themis::sql {

void register_array_functions(sqlite3* db);
/// themis_unnest(array, elem) (sql_array_unnest.cpp).
void register_unnest_module(sqlite3* db);
/// themis_array_agg_ord (sql_array_agg_ordered.cpp).
void register_ordered_agg(sqlite3* db);

} // namespace themis::sql
