#pragma once
/// `DO $$ … $$` blocks (issue 36): the PL/pgSQL subset that drivers and
/// migration tools use, parsed by libpg_query's own PL/pgSQL grammar
/// (pg_query_parse_plpgsql) and interpreted here. Pure: the statements
/// of the block and its notices go through a `host` (the PostgreSQL
/// front-end), which runs them in the block's transaction.
///
/// Variables are scalars kept as their text; an expression is evaluated
/// as `SELECT <expr>` with the variables it names replaced by literals of
/// their declared type, as PL/pgSQL itself evaluates expressions through
/// SQL. Beyond the subset: 0A000 naming the construct.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/sql/sql_types.hpp"
#include "engine/sql/translator.hpp"

namespace themis::sql::plpgsql {

/// A RAISE below EXCEPTION: NoticeResponse.
struct message {
  int level = 18;       ///< PostgreSQL's elog level (18 NOTICE)
  std::string severity; ///< NOTICE, WARNING, INFO, LOG, DEBUG
  std::string sqlstate; ///< 00000, or 01000 for WARNING
  std::string text, detail, hint;
};

/// The result of one SQL statement, as text.
struct result {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;
  bool returns_rows = false;        ///< a query (SELECT, … RETURNING)
  std::vector<std::string> columns; ///< names (record fields)
  std::vector<std::string> types;   ///< type names (record fields' literals)
};

/// An error RAISEd by the block, with the fields PostgreSQL sends.
class raised : public sql_error {
public:
  raised(std::string sqlstate, const std::string& message, std::string detail,
         std::string hint, int32_t position = 0) :
    sql_error(std::move(sqlstate), message, position),
    detail(std::move(detail)), hint(std::move(hint)) {}
  std::string detail, hint;
};

class host {
public:
  virtual ~host() = default;
  /// Runs one SQL statement (several for EXECUTE of a string) in the
  /// block's transaction. Throws sql_error.
  virtual result run(const std::string& sql) = 0;
  /// RAISE NOTICE/WARNING/INFO/LOG/DEBUG (the host applies
  /// client_min_messages).
  virtual void report(const message& m) = 0;
  /// A BEGIN … EXCEPTION block: its writes roll back when a handler runs.
  virtual void subtx_begin(int depth) = 0;
  virtual void subtx_release(int depth) = 0;
  virtual void subtx_rollback(int depth) = 0;
  /// Between loop iterations and statements: a cancel or statement_timeout
  /// throws (57014), so a block never runs on unbounded.
  virtual void check_interrupts() = 0;
};

/// Runs a DO block's body. Throws sql_error: 42601 for a malformed body,
/// 0A000 beyond the subset, the RAISEd state (`raised`), or the error of
/// a statement that no handler caught.
void run_do(const std::string& body, host& h);

/// A call of a PL/pgSQL function (issue 36; plpgsql_function.cpp).
struct function_call {
  std::string source; ///< the CREATE FUNCTION text (sql_udf plpgsql_source)
  std::string name;   ///< for messages
  std::vector<std::string> arg_names;           ///< the input parameters' names
  std::vector<std::string> arg_types;           ///< their type names
  std::vector<std::optional<std::string>> args; ///< their values as text
  bool returns_void = false;
};
/// Runs the function; its RETURN value as text (nullopt: NULL). Throws
/// sql_error as run_do does; 2F005 when a non-void function ends without
/// RETURN.
std::optional<std::string> call_function(const function_call& c, host& h);

/// DO, PREPARE, EXECUTE and DEALLOCATE as statements the front-end runs
/// itself (kinds do_block, prepare, execute, deallocate); nullopt for
/// every other statement. Throws 0A000 for a DO in another language.
std::optional<statement> session_statement(const parsed_statement& p);

// -- helpers (plpgsql_text.cpp), exposed for the unit tests --------------
/// `sql` with each identifier that names a variable replaced by `lit`'s
/// answer (quoted strings, quoted identifiers, comments, qualified names
/// and function names are left alone).
std::string substitute(
  const std::string& sql,
  const std::function<std::optional<std::string>(const std::string&)>& lit);
/// A SQL literal for a value of type `type` (NULL, 42, 'x'::text …).
std::string literal(const std::optional<std::string>& v,
                    const std::string& type);
/// format()'s %s, %I, %L and %% over text arguments.
std::string format(const std::string& fmt,
                   const std::vector<std::optional<std::string>>& args);
/// The SQLSTATE of a condition name (unique_violation → 23505); empty if
/// unknown.
std::string condition_state(const std::string& name);

} // namespace themis::sql::plpgsql
