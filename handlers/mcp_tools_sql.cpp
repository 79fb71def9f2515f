/// sql_query: one read-only SELECT through the engine the PostgreSQL
/// front-end uses, without a PG session (run_readonly_sql,
/// handlers/sql_readonly.hpp, shared with POST /api/v1/query/sql): the
/// caller's tenant namespace and catalog, bounded rows, the query timeout
/// and cancellation (notifications/cancelled). Writes, locking reads,
/// sequences, several statements and session commands (SET, BEGIN …) are
/// refused.

#include <chrono>

#include "engine/aql/executor.hpp"
#include "engine/store_schema.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_tool_util.hpp"
#include "handlers/sql_readonly.hpp"

namespace themis::mcp {

void tool_sql_query(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "query");
  auto& cfg = c->env.config;
  auto rq = std::make_shared<sql_readonly_request>();
  rq->text = arg_string(args, "sql", true, cfg.limits.max_sql_bytes);
  uint64_t cap = cfg.mcp.max_rows;
  rq->max_rows =
    arg_uint(args, "maxRows", std::min<uint64_t>(100, cap), 1, cap);
  rq->progress = std::make_shared<aql::run_progress>();
  if (c->call) {
    c->sess->set_query(c->call, rq->progress);
    if (c->cancelled())
      rq->progress->cancel.store(true);
  }
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  rq->db_path = engine::database_path(so);
  rq->who = c->who;
  if (c->env.admin && c->env.admin->sql_hooks)
    rq->hooks = c->env.admin->sql_hooks(c->who);
  rq->deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(cfg.query.timeout_ms);
  auto out = std::make_shared<sql_readonly_result>();
  auto work = [rq, out](blocking_writer& w) {
    rq->server_stop = w.stop_flag();
    *out = run_readonly_sql(*rq);
    return api_response{};
  };
  c->work.run_blocking(std::move(work), [c, done, out](api_response) {
    using o = sql_readonly_result::outcome;
    if (c->cancelled() || out->what == o::cancelled)
      return done(
        {nullptr, rpc_failure(request_cancelled, "request cancelled")});
    if (out->what != o::ok)
      return done(
        {tool_failed("SQL error: " + out->sqlstate + " " + out->message)});
    // MCP's shape: rows as objects by column name (a repeated name keeps
    // its last value), column names as strings
    json cols = json::array(), rows = json::array();
    for (auto& col : out->columns)
      cols.push_back(col["name"]);
    for (auto& a : out->rows) {
      json o = json::object();
      for (size_t i = 0; i < a.size() && i < cols.size(); ++i)
        o[cols[i].get<std::string>()] = std::move(a[i]);
      rows.push_back(std::move(o));
    }
    done({tool_ok({{"columns", std::move(cols)},
                   {"rows", std::move(rows)},
                   {"truncated", out->truncated}})});
  });
}

} // namespace themis::mcp
