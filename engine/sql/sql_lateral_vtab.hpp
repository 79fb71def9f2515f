#pragma once
/// themis_lateral(sql, a1, a2 …): a LATERAL (subquery) in FROM. SQLite has
/// no correlated subqueries in FROM, so the translator
/// (translate_lateral.cpp) turns the subquery into a statement of its own
/// whose references to earlier FROM items (and the statement's $n) are
/// bind parameters ?1, ?2 …, and passes their values as arguments of this
/// eponymous virtual table, which runs the statement on the same
/// connection once per outer row and yields its rows as columns c0, c1 ….

struct sqlite3;

namespace themis::sql {

/// Output columns c0 … c<lateral_max_columns - 1>.
inline constexpr int lateral_max_columns = 100;
/// Bound values a1 … a<lateral_max_arguments>.
inline constexpr int lateral_max_arguments = 100;

void register_lateral_module(sqlite3* db);

} // namespace themis::sql
