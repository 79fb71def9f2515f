#pragma once
/// User functions and procedures (CREATE FUNCTION, issue 36): how their
/// definitions are stored (`sql_functions`, keyed by name and input types,
/// tenant-scoped like tables), the store writer's side of the DDL, and
/// the SQLite function `themis_udf` that runs a function body that cannot
/// be inlined (PL/pgSQL, a recursive SQL function) on the connection of
/// the statement that calls it.

#include <string>
#include <vector>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/translator.hpp"

struct sqlite3;

namespace themis::sql {

struct write_job;

std::string to_json(const function_def& f);
function_def function_from_json(const std::string& json);
/// A function's oid: stable, derived from its key.
uint32_t function_oid(const std::string& key);

/// CREATE / DROP / ALTER FUNCTION on the writer's connection.
void run_function_ddl(sqlite3* db, write_job& job);

/// The same change on a session's catalog (its transaction's own DDL).
void apply_function_ddl(catalog& cat, const statement& st);

/// Registers themis_udf(context, key, args…) on `db`.
void register_udf_functions(sqlite3* db);

/// How deep functions called through themis_udf may nest (PostgreSQL's
/// max_stack_depth stops runaway recursion the same way: 54001).
constexpr int max_udf_depth = 64;

} // namespace themis::sql

namespace themis::sql {

// -- how PostgreSQL prints a function (sql_udf_text.cpp)
// ------------------------
/// A type as format_type prints it (void, trigger, record, enums too).
std::string udf_type_name(uint32_t type, const std::string& type_node = {});
/// pg_get_function_arguments: "a integer, b integer DEFAULT 10".
std::string function_arguments(const function_def& f);
/// pg_get_function_identity_arguments: "a integer, b integer".
std::string function_identity_arguments(const function_def& f);
/// The argument types as error messages show them: "integer, text".
std::string function_signature_types(const function_def& f);
/// pg_get_function_result: "integer", "SETOF text", "TABLE(a integer)".
std::string function_result(const function_def& f);
/// A PL/pgSQL function as the PL/pgSQL parser wants it (parameters first
/// among its datums, NEW/OLD for a trigger function).
std::string plpgsql_source(const function_def& f);
/// pg_get_functiondef: the CREATE OR REPLACE statement.
std::string function_definition(const function_def& f,
                                const std::string& local_name);

} // namespace themis::sql
