#pragma once
/// Views (CREATE VIEW, issue 36): a view is its query, stored in
/// `sql_views` as PostgreSQL's pg_get_viewdef prints it, with its output
/// columns and the relations it reads. The translator expands a view as a
/// subquery wherever it is named (translate_view.cpp), so a view reads its
/// tables exactly as a hand-written subquery would. Views are DDL: no
/// change events.

#include <optional>
#include <string>
#include <vector>

#include "engine/sql/sql_catalog.hpp"

struct sqlite3;

namespace themis::sql {

struct statement;
struct write_job;

/// A SELECT as the deparser prints it, cut into the parts pg_get_viewdef
/// puts on lines of their own.
struct select_parts {
  std::string head;               ///< "SELECT" or "SELECT DISTINCT"
  std::vector<std::string> items; ///< the select list, one per entry
  /// FROM …, WHERE …, GROUP BY … (keyword first), in order
  std::vector<std::string> clauses;
  std::string with; ///< "WITH q AS (…)" before the SELECT, if any
  /// "UNION [ALL] SELECT …" (INTERSECT, EXCEPT) after the first SELECT,
  /// whose select list names the columns
  std::string setop;
};
/// Nullopt for what is not a SELECT (VALUES …).
std::optional<select_parts> split_select(const std::string& sql);
/// PostgreSQL's layout: " SELECT a,\n    b\n   FROM t\n  WHERE …".
std::string join_select(const select_parts& p);
/// The query of `CREATE … VIEW name … AS <query> [WITH … CHECK OPTION]`
/// as the deparser prints it (empty if not found).
std::string view_query_of(const std::string& deparsed_create);
/// `s` as an identifier PostgreSQL would read back unchanged: bare when it
/// is lower case letters, digits and _, else in double quotes.
std::string view_ident(const std::string& s);
/// The statement's text deparsed by libpg_query (normalised spacing,
/// no comments); throws 42601 if it does not parse.
std::string deparse_sql(const std::string& text);

/// The writer's side of stmt_kind::view_ddl (DROP, then CREATE/REPLACE;
/// 42P07 when a table or, without OR REPLACE, a view has the name).
void run_view_ddl(sqlite3* db, write_job& job);
/// Views another DDL statement drops or rewrites (DROP TABLE … CASCADE,
/// ALTER TABLE … DROP COLUMN … CASCADE).
void save_view_changes(sqlite3* db, const statement& st);
/// The same in a session's own catalog (its uncommitted DDL).
void apply_view_changes(catalog& cat, const statement& st);
/// The session's temp views (stored names beginning with `temp_prefix`),
/// read through `db`: dropped at disconnect.
std::vector<std::string> temp_view_names(sqlite3* db,
                                         const std::string& temp_prefix);

} // namespace themis::sql
