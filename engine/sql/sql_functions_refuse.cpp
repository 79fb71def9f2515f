/// themis_refuse(sqlstate, message, x): fails with that error when a row
/// calls it, so a construct the translator cannot run is refused only if a
/// query actually reaches it (pg_dump's `SELECT set_config(name, …) FROM
/// pg_settings WHERE name = 'a setting themisd does not have'`).

#include <sqlite3.h>

#include <string>

#include "engine/sql/sql_functions.hpp"

namespace themis::sql {

namespace {

void fn_refuse(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto text = [&](int i) {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
    return std::string(p ? p : "");
  };
  result_error(ctx, text(0), text(1));
}

} // namespace

void register_refuse_function(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_refuse", 3, SQLITE_UTF8, nullptr,
                             fn_refuse, nullptr, nullptr, nullptr);
}

} // namespace themis::sql
