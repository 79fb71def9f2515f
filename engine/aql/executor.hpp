#pragma once
/// Runs a parsed AQL query on the embedded engine: reads through a
/// read-only SQLite connection (collection scans with FILTER push-down),
/// writes through a caller-supplied function (the store writer, so every
/// write lands in the change log), rows out through a callback.
/// Cancellation and progress go through `run_progress`, which another
/// thread may read and set while the query runs.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/aql/ast.hpp"
#include "engine/tx_overlay.hpp"
#include "engine/write_types.hpp"

struct sqlite3;

namespace themis::aql {

struct run_limits {
  std::chrono::steady_clock::time_point deadline =
    std::chrono::steady_clock::time_point::max();
  /// Result rows beyond this fail the query (error_kind::limit).
  uint64_t max_rows = UINT64_MAX;
  /// Writes are committed in atomic batches of up to this many operations.
  size_t write_batch = 1000;
  /// Set by the server when it shuts down: every query stops (cancelled).
  const std::atomic<bool>* server_stop = nullptr;
  /// The principal's collection namespace (issue 9): a tenant's query
  /// names "orders" and reads "tenant.orders"; dotted names are reachable
  /// only for a global admin (`all_tenants`).
  std::string tenant;
  bool all_tenants = true;
  /// An open HTTP transaction's staged writes: scans and lookups see them
  /// over the committed documents (null: none).
  const engine::tx_overlay* overlay = nullptr;
};

struct run_progress {
  /// Documents read by collection scans plus elements of FOR over arrays.
  std::atomic<uint64_t> rows_scanned{0};
  std::atomic<uint64_t> rows_produced{0}; ///< result rows emitted
  std::atomic<uint64_t> writes{0};        ///< documents written
  std::atomic<bool> cancel{false};        ///< set to stop the query
};

/// Commits one batch and answers after COMMIT (blocking is fine: queries
/// run on worker threads, never on the actor scheduler).
using write_fn = std::function<engine::write_result(engine::write_batch)>;
using row_fn = std::function<void(json row)>;

/// Throws aql_error: semantic (bind parameters), collection_not_found,
/// runtime, cancelled, timeout, limit …
void execute(sqlite3* db, const parsed_query& q, const json& bind_vars,
             const write_fn& writer, run_progress& progress,
             const run_limits& limits, const row_fn& out);

/// The same on a fresh read-only connection to the database file at
/// `db_path` (what worker threads use: a query never borrows a pooled
/// reader for minutes).
void execute_file(const std::string& db_path, const parsed_query& q,
                  const json& bind_vars, const write_fn& writer,
                  run_progress& progress, const run_limits& limits,
                  const row_fn& out);

} // namespace themis::aql
