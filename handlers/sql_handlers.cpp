/// POST /api/v1/query/sql: sql_routes.hpp.

#include <chrono>

#include "engine/aql/executor.hpp"
#include "engine/store_schema.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/sql_readonly.hpp"
#include "handlers/sql_routes.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Rows answered when the request names no maxRows.
constexpr uint64_t default_rows = 1000;

/// The error body with the statement's SQLSTATE, so a client tells a
/// missing table (42P01) from a syntax error (42601) as a PG client does.
api_response sql_error_response(const sql_readonly_result& r) {
  using o = sql_readonly_result::outcome;
  int status = 400;
  if (r.sqlstate == "42501")
    status = 403;
  else if (r.sqlstate == "57014")
    status = 504;
  else if (r.what == o::internal)
    status = 500;
  auto a = error_response(status, r.message);
  json body;
  if (!parse_json_body(a.body, body) && body.is_object()) {
    body["sqlstate"] = r.sqlstate;
    a.body = dump(body);
  }
  return a;
}

} // namespace

void query_sql(route_context& ctx) {
  auto& who = ctx.req.who;
  if (!who.has_scope("data:read") && !who.has_scope("query"))
    return ctx.respond(error_response(
      403, "SQL needs the data:read or query scope (as on the PostgreSQL "
           "port)"));
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "body must be a JSON object"));
  auto& cfg = ctx.env.config;
  auto q = body.find("query");
  if (q == body.end() || !q->is_string() || q->get<std::string>().empty())
    return ctx.respond(error_response(400, "'query' must be a SQL string"));
  auto rq = std::make_shared<sql_readonly_request>();
  rq->text = q->get<std::string>();
  if (rq->text.size() > cfg.limits.max_sql_bytes)
    return ctx.respond(
      error_response(413, "'query' is longer than limits.max_sql_bytes (" +
                            std::to_string(cfg.limits.max_sql_bytes) + ")"));
  rq->max_rows = std::min<uint64_t>(default_rows, cfg.query.max_rows);
  if (auto m = body.find("maxRows"); m != body.end()) {
    if (!m->is_number_unsigned() || m->get<uint64_t>() == 0 ||
        m->get<uint64_t>() > cfg.query.max_rows)
      return ctx.respond(error_response(
        400, "'maxRows' must be an integer from 1 to query.max_rows (" +
               std::to_string(cfg.query.max_rows) + ")"));
    rq->max_rows = m->get<uint64_t>();
  }
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  rq->db_path = engine::database_path(so);
  rq->who = who;
  if (ctx.env.admin && ctx.env.admin->sql_hooks)
    rq->hooks = ctx.env.admin->sql_hooks(who);
  rq->progress = std::make_shared<aql::run_progress>();
  auto started = std::chrono::steady_clock::now();
  rq->deadline = started + std::chrono::milliseconds(cfg.query.timeout_ms);
  auto work = [rq, started](blocking_writer& w) {
    rq->server_stop = w.stop_flag();
    auto r = run_readonly_sql(*rq);
    if (r.what != sql_readonly_result::outcome::ok)
      return sql_error_response(r);
    auto ms = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - started)
                .count();
    return json_response(200, dump({{"command", r.tag},
                                    {"columns", std::move(r.columns)},
                                    {"rows", std::move(r.rows)},
                                    {"truncated", r.truncated},
                                    {"ms", ms}}));
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

void register_sql_routes(route_registry& reg) {
  namespace s = schemas;
  reg.add("/api/v1/query/sql", {"query"})
    .post(query_sql, "Run one read-only SQL statement")
    .describe("PostgreSQL's dialect through the engine of the PostgreSQL "
              "port: one SELECT (pg_stat_activity, pg_cancel_backend and "
              "pg_terminate_backend included). Needs data:read or query; "
              "writes are refused (42501 without data:write, else 0A000: "
              "use the PostgreSQL port). Errors carry `sqlstate`.")
    .scope("authenticated")
    .body(s::object_of(
            {{"query", s::type("string")}, {"maxRows", s::type("integer")}},
            {"query"}),
          {{"query", "SELECT 1 AS one"}})
    .errors({400, 403, 413, 504});
}

} // namespace themis
