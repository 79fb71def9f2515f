#pragma once
/// The functions translated SQL calls (themis_cast, themis_coerce,
/// themis_now …), registered on every SQLite connection that runs it.
/// A function that fails raises "SQLSTATE\x1fmessage" so the executor can
/// give the client the right code.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_context;

namespace themis::sql {

/// Sequence numbers handed to the rows one statement writes (the store
/// writer sets `next` to its next change-log sequence before each one).
struct sequence_cache; // sql_sequences.cpp
struct write_counters {
  int64_t next = 1;
  int64_t last = 0;
  /// Set by the store writer once the running statement must stop (a
  /// cancel, issue 36): the next row it writes fails with this SQLSTATE,
  /// which undoes the statement only (sqlite3_interrupt would undo the
  /// whole transaction).
  std::string stop_state, stop_message;
  /// the writer's sequence definitions and the values handed out since
  /// the last commit (sql_sequences.hpp; issue 36)
  std::shared_ptr<sequence_cache> sequences;
};

/// Registers the read-side functions; with `counters`, also the writer's
/// (themis_seq, themis_key, themis_nextval). Readers get versions of those
/// that fail with 25006 (read-only transaction).
/// Fails a SQLite function call with a PostgreSQL error (SQLSTATE and
/// message, split again by raise_sqlite).
void result_error(sqlite3_context* ctx, const std::string& state,
                  const std::string& msg);
void register_functions(sqlite3* db, write_counters* counters);
/// themis_srf: jsonb_each, jsonb_array_elements, regexp_matches … as a
/// table-valued function (sql_json_srf.cpp).
void register_srf_module(sqlite3* db);
/// jsonb ? ?| ?& #> #>> (sql_functions_jsonb_ops.cpp).
void register_jsonb_ops(sqlite3* db);
/// themis_refuse(sqlstate, message, x) (sql_functions_refuse.cpp).
void register_refuse_function(sqlite3* db);

/// pg_sleep, the helpers of set-returning functions and of the scalar
/// subquery check (sql_functions_srf.cpp); `writer`: pg_sleep refuses.
void register_srf_functions(sqlite3* db, bool writer);

/// The elements of a PostgreSQL array literal ('{a,"b c"}') or JSON array.
std::vector<std::string> pg_array_items(const std::string& arr);

/// The object an error is about (constraint violations: schema, table,
/// column, constraint, detail). It travels after the message, behind
/// '\x1e', because the store writer's results carry only a state and a
/// message; the PostgreSQL front-end splits it into ErrorResponse fields.
struct error_object {
  std::string message, detail, schema, table, column, constraint;
};
std::string error_trailer(const std::string& schema, const std::string& table,
                          const std::string& column,
                          const std::string& constraint,
                          const std::string& detail = {});
error_object split_error_object(const std::string& what);

/// jsonb @> / <@ and quote_literal / quote_nullable
/// (sql_functions_jsonb.cpp, issue 36).
void register_jsonb_functions(sqlite3* db);
/// quote_ident (sql_functions_dump.cpp, issue 36: pg_dump).
void register_dump_functions(sqlite3* db);

/// Splits an error raised by a function; false if `msg` is not one.
bool split_error(const char* msg, char sqlstate[6], const char** text);

} // namespace themis::sql
