/// Synchronous AQL: POST /query/aql answers the whole result; POST
/// /v1/query answers the first batch and keeps the rest in a cursor. The
/// query is parsed here (a syntax error answers at once) and runs on a
/// worker thread through the work port, never on a scheduler thread.

#include <chrono>
#include <memory>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/store_schema.hpp"
#include "handlers/cursor_store.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::string join_rows(const std::vector<std::string>& rows, size_t from,
                      size_t to) {
  std::string out = "[";
  for (auto i = from; i < to; ++i) {
    if (i > from)
      out.push_back(',');
    out += rows[i];
  }
  out.push_back(']');
  return out;
}

void run_sync(route_context& ctx, bool with_cursor) {
  query_request qr;
  if (auto bad = read_query_request(ctx.req, qr))
    return ctx.respond(std::move(*bad));
  auto& qcfg = ctx.env.config.query;
  size_t batch = qcfg.batch_size;
  if (auto b = qr.body.find("batchSize"); b != qr.body.end() && !b->is_null()) {
    if (!b->is_number_unsigned() || b->get<uint64_t>() == 0 ||
        b->get<uint64_t>() > qcfg.max_batch_size)
      return ctx.respond(
        error_response(400, "batchSize must be an integer in [1, " +
                              std::to_string(qcfg.max_batch_size) + "]"));
    batch = b->get<size_t>();
  }
  std::shared_ptr<const aql::parsed_query> pq;
  try {
    pq = std::make_shared<aql::parsed_query>(aql::parse(qr.query));
  } catch (const aql::aql_error& e) {
    return ctx.respond(aql_error_response(e));
  }
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  auto db_path = engine::database_path(so);
  auto timeout = std::chrono::milliseconds(qcfg.timeout_ms);
  auto max_rows = qcfg.max_rows;
  auto write_batch = qcfg.write_batch;
  auto* cursors = &ctx.env.cursors;
  auto* metrics = &ctx.env.metrics;
  ++metrics->aql_queries;
  auto tenant = ctx.req.who.tenant;
  auto owner = ctx.req.who; // the cursor is theirs alone
  bool all_tenants = tenant.empty() && ctx.req.who.is_admin();
  auto work = [=, bind = std::move(qr.bind_vars)](
                blocking_writer& writer) -> api_response {
    aql::run_progress progress;
    aql::run_limits limits;
    auto started = std::chrono::steady_clock::now();
    limits.deadline = started + timeout;
    limits.max_rows = max_rows;
    limits.write_batch = write_batch;
    limits.server_stop = writer.stop_flag();
    limits.tenant = tenant;
    limits.all_tenants = all_tenants;
    std::vector<std::string> rows;
    try {
      aql::execute_file(
        db_path, *pq, bind,
        [&](engine::write_batch b) { return writer.commit(std::move(b)); },
        progress, limits, [&](json row) { rows.push_back(dump(row)); });
    } catch (const aql::aql_error& e) {
      ++metrics->aql_query_errors;
      metrics->aql_rows_scanned += progress.rows_scanned.load();
      return aql_error_response(e);
    } catch (const std::exception& e) {
      ++metrics->aql_query_errors;
      return error_response(500, std::string("query failed: ") + e.what());
    }
    metrics->aql_rows_scanned += progress.rows_scanned.load();
    auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
        .count();
    json stats = {{"rowsScanned", progress.rows_scanned.load()},
                  {"writesExecuted", progress.writes.load()},
                  {"executionTime", secs}};
    auto count = rows.size();
    size_t first = with_cursor ? std::min(batch, count) : count;
    std::string body = "{\"result\":" + join_rows(rows, 0, first);
    bool more = first < count;
    body += ",\"hasMore\":";
    body += more ? "true" : "false";
    if (more) {
      std::vector<std::string> rest(
        std::make_move_iterator(rows.begin() + first),
        std::make_move_iterator(rows.end()));
      body +=
        ",\"id\":" + dump(cursors->add(owner, std::move(rest), batch, count));
    }
    body += ",\"count\":" + std::to_string(count) +
            ",\"extra\":" + dump(json{{"stats", stats}}) + "}";
    return json_response(with_cursor ? 201 : 200, std::move(body));
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

} // namespace

void query_aql(route_context& ctx) {
  run_sync(ctx, false);
}

void query_cursor_create(route_context& ctx) {
  run_sync(ctx, true);
}

void query_cursor_next(route_context& ctx) {
  auto& id = ctx.params[0];
  auto b = ctx.env.cursors.next(id, ctx.req.who);
  if (!b)
    return ctx.respond(
      error_response(404, "cursor not found or expired: " + id));
  std::string body = "{\"result\":" + b->rows_json + ",\"hasMore\":";
  body += b->has_more ? "true" : "false";
  if (b->has_more)
    body += ",\"id\":" + dump(id);
  body += ",\"count\":" + std::to_string(b->count) + "}";
  ctx.respond(json_response(200, std::move(body)));
}

void query_cursor_delete(route_context& ctx) {
  auto& id = ctx.params[0];
  if (!ctx.env.cursors.remove(id, ctx.req.who))
    return ctx.respond(
      error_response(404, "cursor not found or expired: " + id));
  api_response r;
  r.status = 204;
  ctx.respond(std::move(r));
}

void jobs_forward(route_context& ctx) {
  ctx.services.ask(service_id::jobs, ctx.req, ctx.respond);
}

} // namespace themis
