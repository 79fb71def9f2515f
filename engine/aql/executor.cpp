#include "engine/aql/executor.hpp"
#include "engine/aql/function_context.hpp"

#include <sqlite3.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/pipeline.hpp"
#include "engine/aql/query_run.hpp"

namespace themis::aql {

void execute(sqlite3* db, const parsed_query& q, const json& bind_vars,
             const write_fn& writer, run_progress& progress,
             const run_limits& limits, const row_fn& out) {
  query_run run(db, q, bind_vars, writer, progress, limits);
  function_scope search_scope(db, limits); // APPROX_NEAR, FULLTEXT (issue 32)
  // One read transaction: every scan of the query sees the same snapshot.
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  struct end_read {
    sqlite3* db;
    ~end_read() { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }
  } end{db};
  pipeline p(run, *q.root, [&](json row) {
    auto n = progress.rows_produced.fetch_add(1, std::memory_order_relaxed);
    if (n >= limits.max_rows)
      throw aql_error(error_kind::limit, "the result has more than " +
                                           std::to_string(limits.max_rows) +
                                           " rows");
    out(std::move(row));
    return true;
  });
  env en(static_cast<size_t>(q.slots));
  p.run(en);
}

void execute_file(const std::string& db_path, const parsed_query& q,
                  const json& bind_vars, const write_fn& writer,
                  run_progress& progress, const run_limits& limits,
                  const row_fn& out) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  struct closer {
    sqlite3* db;
    ~closer() { sqlite3_close_v2(db); }
  } close{db};
  if (rc != SQLITE_OK)
    throw aql_error(error_kind::internal,
                    std::string("engine: cannot open the store: ") +
                      sqlite3_errstr(rc));
  sqlite3_busy_timeout(db, 5000);
  execute(db, q, bind_vars, writer, progress, limits, out);
}

} // namespace themis::aql
