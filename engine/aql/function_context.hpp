#pragma once
/// What the few AQL functions that read the database (APPROX_NEAR,
/// FULLTEXT: index-backed searches) need beyond their arguments: the
/// query's connection (its read snapshot) and its namespace. The function
/// library's signature is pure (arguments in, value out), so execute()
/// publishes this per thread for the duration of a query.

#include <string>

struct sqlite3;

namespace themis::aql {

struct run_limits;

struct function_context {
  sqlite3* db = nullptr;
  const run_limits* limits = nullptr;
};

/// The running query's context on this thread (null outside a query).
const function_context* current_function_context();

/// Publishes a context for its lifetime (restores the previous one, so a
/// nested execute() is fine).
class function_scope {
public:
  function_scope(sqlite3* db, const run_limits& limits);
  ~function_scope();
  function_scope(const function_scope&) = delete;
  function_scope& operator=(const function_scope&) = delete;

private:
  function_context ctx_;
  const function_context* prev_;
};

} // namespace themis::aql
