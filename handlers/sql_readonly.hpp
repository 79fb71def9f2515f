#pragma once
/// One read-only SQL statement without a PostgreSQL session (issue 29):
/// what MCP's sql_query tool and POST /api/v1/query/sql share. It runs
/// through the engine the PostgreSQL front-end uses (parse_sql →
/// translate → a cursor) on its own read-only SQLite connection, in the
/// caller's tenant namespace and catalog, with bounded rows, a deadline
/// and cancellation through SQLite's progress handler. Call it on a
/// worker thread (work_port::run_blocking), never on an actor.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "themis/principal.hpp"

namespace themis {

namespace aql {
struct run_progress;
}
namespace sql {
class session_hooks;
}

struct sql_readonly_request {
  std::string text;
  uint64_t max_rows = 100;
  std::string db_path;
  principal who;
  /// pg_stat_activity, pg_cancel_backend and pg_terminate_backend for
  /// this caller; null: those functions fail with 0A000.
  std::shared_ptr<sql::session_hooks> hooks;
  /// Its `cancel` stops the statement (a client that went away).
  std::shared_ptr<aql::run_progress> progress;
  const std::atomic<bool>* server_stop = nullptr;
  std::chrono::steady_clock::time_point deadline;
};

struct sql_readonly_result {
  /// ok: rows below; refused: not a read-only single statement (or not
  /// allowed: 42501); failed: the engine's error; cancelled; internal.
  enum class outcome {
    ok,
    refused,
    failed,
    cancelled,
    internal
  } what = outcome::internal;
  std::string sqlstate; ///< the error's SQLSTATE ("" when ok)
  std::string message;
  std::string tag; ///< the command tag ("SELECT")
  /// [{"name":…,"type_oid":…}] in statement order (names may repeat)
  nlohmann::json columns = nlohmann::json::array();
  nlohmann::json rows = nlohmann::json::array(); ///< arrays, column order
  bool truncated = false;                        ///< more rows than max_rows
};

/// Runs `r`. Statements other than one SELECT (writes, locking reads,
/// sequences, SET, BEGIN …) are refused: 42501 when the caller lacks the
/// scope the PostgreSQL port would ask for, else 0A000.
sql_readonly_result run_readonly_sql(const sql_readonly_request& r);

} // namespace themis
