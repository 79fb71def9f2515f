/// Synchronous AQL: POST /query/aql (and /api/aql) answers the whole
/// result in ThemisDB's shape, or pages with ThemisDB's use_cursor/cursor;
/// POST /v1/query answers the first batch and keeps the rest in a cursor;
/// POST /api/query answers the Go SDK's `{"data"}`. X-Transaction-Id runs
/// the query inside the caller's transaction (its staged writes visible,
/// its writes staged). The
/// query is parsed here (a syntax error answers at once) and runs on a
/// worker thread through the work port, never on a scheduler thread.

#include <chrono>
#include <memory>
#include <tuple>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/names.hpp"
#include "engine/store_schema.hpp"
#include "handlers/aql_explain.hpp"
#include "handlers/cursor_store.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"
#include "handlers/request_deadline.hpp"
#include "handlers/route_context.hpp"
#include "handlers/streaming_query.hpp"
#include "handlers/themisdb_compat.hpp"

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

/// The answer's shape: ThemisDB's (/query/aql, /api/aql), themisd's own
/// cursor API (/v1/query) or the Go SDK's (/api/query: rows in `data`).
enum class shape {
  themisdb,
  cursor_v1,
  go_data,
  structured, ///< POST /query: {"table","count","entities"|"keys"}
  sse_rows,   ///< GET /v2/query/stream: one SSE event per row
};

bool flag(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

/// ThemisDB's cursor mode page: `{"items","batch_size","has_more",
/// "next_cursor"?}`.
std::string cursor_page(const std::string& rows_json, size_t batch, bool more,
                        const std::string& id) {
  std::string body = "{\"items\":" + rows_json +
                     ",\"batch_size\":" + std::to_string(batch) +
                     ",\"has_more\":" + (more ? "true" : "false");
  if (more)
    body += ",\"next_cursor\":" + dump(id);
  return body + "}";
}

/// GET /v2/query/stream's body: `id: n`, `event: row`, `data: <row>` per
/// row, then `event: done` with the count. Built once the query has run
/// (its rows are bounded by query.max_rows).
api_response sse_body(const std::vector<std::string>& rows, size_t count) {
  std::string out = "retry: 3000\n\n";
  for (size_t i = 0; i < rows.size(); ++i)
    out += "id: " + std::to_string(i + 1) + "\nevent: row\ndata: " + rows[i] +
           "\n\n";
  out += "event: done\ndata: {\"count\":" + std::to_string(count) + "}\n\n";
  api_response r;
  r.status = 200;
  r.body = std::move(out);
  r.set_header("Content-Type", "text/event-stream");
  r.set_header("Cache-Control", "no-cache");
  return r;
}

void run_sync(route_context& ctx, shape sh) {
  query_request qr;
  if (auto bad = read_query_request(ctx.req, qr))
    return ctx.respond(std::move(*bad));
  auto& qcfg = ctx.env.config.query;
  size_t batch = qcfg.batch_size;
  for (auto name : {"batchSize", "batch_size"})
    if (auto b = qr.body.find(name); b != qr.body.end() && !b->is_null()) {
      if (!b->is_number_unsigned() || b->get<uint64_t>() == 0 ||
          b->get<uint64_t>() > qcfg.max_batch_size)
        return ctx.respond(error_response(
          400, std::string(name) + " must be an integer in [1, " +
                 std::to_string(qcfg.max_batch_size) + "]"));
      batch = b->get<size_t>();
    }
  bool use_cursor = sh == shape::themisdb && flag(qr.body, "use_cursor");
  if (auto c = qr.body.find("cursor");
      sh == shape::themisdb && c != qr.body.end() && !c->is_null()) {
    // ThemisDB's next page: the same request with the cursor it handed out
    if (!c->is_string())
      return ctx.respond(error_response(400, "'cursor' must be a string"));
    auto id = c->get<std::string>();
    if (!id.empty()) {
      auto b = ctx.env.cursors.next(id, ctx.req.who);
      if (!b)
        return ctx.respond(
          error_response(404, "cursor not found or expired: " + id));
      return ctx.respond(
        json_response(200, cursor_page(b->rows_json, batch, b->has_more, id)));
    }
  }
  bool explain = (sh == shape::themisdb || sh == shape::structured) &&
                 flag(qr.body, "explain");
  bool keys_only = flag(qr.body, "keys_only");
  auto table_name = qr.body.value("table", std::string());
  std::shared_ptr<const aql::parsed_query> pq;
  try {
    pq = std::make_shared<aql::parsed_query>(aql::parse(qr.query));
  } catch (const aql::aql_error& e) {
    return ctx.respond(aql_error_response(e));
  }
  bool refused = false;
  auto tx = request_tx(ctx, refused);
  if (refused)
    return;
  std::shared_ptr<const engine::tx_overlay> overlay;
  if (tx)
    overlay = tx->overlay();
  auto committed = reader_of(ctx);
  auto* tx_limits =
    ctx.env.transactions ? &ctx.env.transactions->limits() : nullptr;
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  auto db_path = engine::database_path(so);
  auto timeout = std::chrono::milliseconds(qcfg.timeout_ms);
  // a gRPC call's deadline stops the engine too (request_deadline.hpp)
  auto call_deadline = request_deadline(
    ctx.req, std::chrono::steady_clock::time_point::max());
  auto max_rows = qcfg.max_rows;
  auto write_batch = qcfg.write_batch;
  auto* cursors = &ctx.env.cursors;
  auto* metrics = &ctx.env.metrics;
  ++metrics->aql_queries;
  auto tenant = ctx.req.who.tenant;
  auto owner = ctx.req.who; // the cursor is theirs alone
  bool all_tenants = tenant.empty() && ctx.req.who.is_admin();
  auto query_text = qr.query;
  auto work = [=, bind = std::move(qr.bind_vars)](
                blocking_writer& writer) -> api_response {
    aql::run_progress progress;
    aql::run_limits limits;
    auto started = std::chrono::steady_clock::now();
    limits.deadline = std::min(started + timeout, call_deadline);
    limits.max_rows = max_rows;
    limits.write_batch = write_batch;
    limits.server_stop = writer.stop_flag();
    limits.tenant = tenant;
    limits.all_tenants = all_tenants;
    limits.overlay = overlay.get();
    std::vector<std::string> rows;
    try {
      aql::execute_file(
        db_path, *pq, bind,
        [&](engine::write_batch b) {
          // inside a transaction writes are staged, not committed
          return tx ? tx->stage(b, committed, *tx_limits)
                    : writer.commit(std::move(b));
        },
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
    bool paged = sh == shape::cursor_v1 || use_cursor;
    if (sh == shape::sse_rows)
      return sse_body(rows, count);
    size_t first = paged ? std::min(batch, count) : count;
    bool more = first < count;
    std::string id;
    if (more) {
      std::vector<std::string> rest(
        std::make_move_iterator(rows.begin() + first),
        std::make_move_iterator(rows.end()));
      id = cursors->add(owner, std::move(rest), batch, count);
    }
    auto page = join_rows(rows, 0, first);
    if (use_cursor)
      return json_response(200, cursor_page(page, batch, more, id));
    if (sh == shape::go_data)
      return json_response(200, "{\"data\":" + page +
                                  ",\"count\":" + std::to_string(count) + "}");
    if (sh == shape::structured) {
      std::string body = "{\"table\":" + dump(table_name) +
                         ",\"count\":" + std::to_string(count) + ",\"" +
                         (keys_only ? "keys" : "entities") + "\":" + page;
      if (explain)
        body += ",\"plan\":" +
                dump(aql_plan_json(*pq, tenant, all_tenants, db_path, bind));
      return json_response(200, body + "}");
    }
    std::string body = "{\"result\":" + page;
    if (sh == shape::themisdb) {
      // ThemisDB's SDKs read `entities` (and `table`, `count`)
      auto table = aql_first_collection(*pq);
      body += ",\"entities\":" + page +
              ",\"table\":" + dump(engine::themisdb_table_of(table));
    }
    body += ",\"hasMore\":";
    body += more ? "true" : "false";
    if (more)
      body += ",\"id\":" + dump(id);
    body += ",\"count\":" + std::to_string(count) +
            ",\"extra\":" + dump(json{{"stats", stats}});
    if (explain)
      body += ",\"query\":" + dump(query_text) +
              ",\"ast\":" + dump(aql_ast_json(*pq)) + ",\"plan\":" +
              dump(aql_plan_json(*pq, tenant, all_tenants, db_path, bind));
    return json_response(sh == shape::cursor_v1 ? 201 : 200, body + "}");
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

} // namespace

/// Asked for a streamed result (Accept: NDJSON or CSV, ?stream=true) and
/// not inside an HTTP transaction: handlers/streaming_query.hpp (issue 22).
static bool streamed(route_context& ctx) {
  stream_format f;
  if (!streamed_format_of(ctx.req, f) || ctx.req.header("X-Transaction-Id"))
    return false;
  query_streamed(ctx, f);
  return true;
}

void query_aql(route_context& ctx) {
  if (!streamed(ctx))
    run_sync(ctx, shape::themisdb);
}

void query_cursor_create(route_context& ctx) {
  if (!streamed(ctx))
    run_sync(ctx, shape::cursor_v1);
}

void query_go(route_context& ctx) {
  run_sync(ctx, shape::go_data);
}

namespace {

/// Runs `body` (a query request built here) as if it had been sent.
void run_built(route_context& ctx, const json& body, shape sh) {
  api_request inner = ctx.req;
  inner.body = dump(body);
  route_context c{ctx.env,     inner,    {},           ctx.writer, ctx.notifier,
                  ctx.streams, ctx.work, ctx.services, ctx.respond};
  run_sync(c, sh);
}

/// A scalar for a predicate or range bound, or an error.
bool scalar(const json& v) {
  return v.is_string() || v.is_number() || v.is_boolean() || v.is_null();
}

} // namespace

void structured_query(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "body must be a JSON object"));
  auto t = body.find("table");
  if (t == body.end() || !t->is_string())
    return ctx.respond(error_response(400, "Missing 'table'"));
  auto coll = engine::collection_of_themisdb_table(t->get<std::string>());
  if (coll.empty())
    return ctx.respond(
      error_response(400, "invalid table name: " + t->get<std::string>()));
  // The predicates become AQL over bind values: nothing of the request is
  // spliced into the query text.
  json binds = {{"@t", coll}};
  std::string aql = "FOR d IN @@t";
  int n = 0;
  auto param = [&](const json& v) {
    auto name = "p" + std::to_string(n++);
    binds[name] = v;
    return "@" + name;
  };
  auto preds = body.value("predicates", json::array());
  auto ranges = body.value("range", json::array());
  if (!preds.is_array() || !ranges.is_array() ||
      preds.size() + ranges.size() > 64)
    return ctx.respond(error_response(
      400, "'predicates' and 'range' must be arrays (64 entries at most)"));
  for (auto& p : preds) {
    if (!p.is_object() || !p.contains("column") || !p["column"].is_string() ||
        !p.contains("value") || !scalar(p["value"]))
      return ctx.respond(
        error_response(400, "Each predicate needs 'column' and 'value'"));
    aql += " FILTER d[" + param(p["column"]) + "] == " + param(p["value"]);
  }
  for (auto& r : ranges) {
    if (!r.is_object() || !r.contains("column") || !r["column"].is_string())
      return ctx.respond(error_response(400, "Each range needs 'column'"));
    auto col = param(r["column"]);
    for (auto [bound, incl, op, op_excl] :
         {std::tuple{"gte", "includeLower", " >= ", " > "},
          std::tuple{"lte", "includeUpper", " <= ", " < "}}) {
      if (!r.contains(bound))
        continue;
      if (!scalar(r[bound]))
        return ctx.respond(error_response(400, std::string("range '") + bound +
                                                 "' must be a scalar"));
      bool inclusive = r.value(incl, true);
      aql +=
        " FILTER d[" + col + "]" + (inclusive ? op : op_excl) + param(r[bound]);
    }
  }
  if (auto ob = body.find("order_by"); ob != body.end() && !ob->is_null()) {
    if (!ob->is_object() || !ob->contains("column") ||
        !(*ob)["column"].is_string())
      return ctx.respond(error_response(400, "order_by requires 'column'"));
    auto limit = ob->value("limit", 1000);
    if (limit < 0 || limit > 1000000)
      return ctx.respond(
        error_response(400, "order_by 'limit' must be in [0, 1000000]"));
    aql += " SORT d[" + param((*ob)["column"]) + "]" +
           (ob->value("desc", false) ? " DESC" : " ASC") + " LIMIT " +
           param(limit);
  }
  auto ret = body.value("return", std::string("entities"));
  if (ret != "entities" && ret != "keys")
    return ctx.respond(
      error_response(400, "'return' must be \"entities\" or \"keys\""));
  aql += ret == "keys" ? " RETURN d._key" : " RETURN d";
  run_built(ctx,
            {{"query", aql},
             {"bindVars", binds},
             {"table", t->get<std::string>()},
             {"keys_only", ret == "keys"},
             {"explain", body.value("explain", false)}},
            shape::structured);
}

void query_stream(route_context& ctx) {
  auto q = query_param(ctx.req.query, "query");
  if (!q || q->empty())
    return ctx.respond(error_response(400, "?query= (the AQL) is required"));
  json body = {{"query", *q}};
  for (auto name : {"params", "bindVars"})
    if (auto p = query_param(ctx.req.query, name)) {
      json binds;
      if (auto bad = parse_json_body(*p, binds))
        return ctx.respond(std::move(*bad));
      if (binds.is_discarded() || !binds.is_object())
        return ctx.respond(error_response(400, std::string("?") + name +
                                                 "= must be a JSON object"));
      body[name] = binds;
    }
  run_built(ctx, body, shape::sse_rows);
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
