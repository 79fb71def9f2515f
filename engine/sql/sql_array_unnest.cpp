/// themis_unnest(array, elem): a table-valued function (an eponymous
/// SQLite virtual table) with one row per element, in PostgreSQL's order
/// (row-major over every dimension): columns `v` (the element in its
/// stored form for element type `elem`) and `ordinality` (from 1).
/// Being a table-valued function, not a subquery, its argument may name
/// columns of the FROM items before it (`SELECT id, unnest(tags) FROM t`).

#include <sqlite3.h>

#include <string>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/sql_functions_array.hpp"
#include "engine/sql/sql_rows_vtab.hpp"

namespace themis::sql {

namespace {

void collect(const nlohmann::json& j, std::vector<std::vector<value>>& out) {
  if (!j.is_array()) {
    out.push_back({element_value(j)});
    return;
  }
  for (auto& x : j) // at most 6 deep: array_tree checked it
    collect(x, out);
}

void fill(int argc, sqlite3_value** argv,
          std::vector<std::vector<value>>& rows) {
  if (argc < 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
    return; // unnest(NULL): no rows
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string text(p ? p : "",
                   static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  auto elem = static_cast<uint32_t>(sqlite3_value_int64(argv[1]));
  auto tree = array_tree(value::of_text(std::move(text)), elem);
  if (!array_dims(tree).empty())
    collect(tree, rows);
}

const rows_function unnest_function{
  "themis_unnest",
  "CREATE TABLE x(v, ordinality, arr HIDDEN, elem HIDDEN)",
  1,
  2,
  2,
  0,
  fill};

} // namespace

void register_unnest_module(sqlite3* db) {
  register_rows_function(db, unnest_function);
}

} // namespace themis::sql
