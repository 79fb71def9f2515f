/// MCP tools that run queries and jobs or read the changefeed: aql_query
/// (bounded rows, bind variables, progress, cancellation), sql_query,
/// submit_job / job_status / job_result (over the job manager, as
/// /v1/jobs; a waiting submit_job reports progress and is cancelled with
/// its call) and recent_changes (the change log, tenant-scoped).

#include <chrono>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/names.hpp"
#include "engine/store_schema.hpp"
#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_tool_util.hpp"
#include "handlers/query_common.hpp"

namespace themis::mcp {

namespace {

json object_schema(json props, json required) {
  return {{"type", "object"},
          {"properties", std::move(props)},
          {"required", std::move(required)}};
}

json annotations(bool read_only, bool destructive, const char* title) {
  json a = {
    {"title", title}, {"readOnlyHint", read_only}, {"openWorldHint", false}};
  if (!read_only) {
    a["destructiveHint"] = destructive;
    a["idempotentHint"] = false;
  }
  return a;
}

/// The error text of an answer from a REST-shaped service.
std::string message_of(const api_response& r) {
  json b;
  if (!parse_json_body(r.body, b) && !b.is_discarded() && b.is_object() &&
      b.contains("message") && b["message"].is_string())
    return b["message"].get<std::string>();
  return "HTTP " + std::to_string(r.status);
}

api_request service_request(const call_context& c, std::string method,
                            std::string path, std::string query = {},
                            std::string body = {}) {
  api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}};
  r.remote_addr = c.base.remote_addr;
  r.request_id = c.base.request_id;
  r.traceparent = c.base.traceparent;
  r.who = c.who;
  return r;
}

bool terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

bool valid_job_id(const std::string& id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char ch : id)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  return true;
}

/// Answers a service response as a tool result: 2xx → its JSON body.
json service_result(const api_response& r) {
  if (r.status >= 300)
    return tool_failed(message_of(r));
  json b;
  if (parse_json_body(r.body, b) || b.is_discarded() || !b.is_object())
    return tool_failed("unreadable answer from the job manager");
  return tool_ok(std::move(b));
}

/// submit_job with wait: long-polls the job (500 ms at a time) until it
/// ends, the call is cancelled or `deadline` passes; reports progress.
void poll_job(const context_ptr& c, std::string id,
              std::chrono::steady_clock::time_point deadline, reply_fn done) {
  if (c->cancelled())
    return done({nullptr, rpc_failure(request_cancelled, "request cancelled")});
  auto req = service_request(*c, "GET", "/v1/jobs/" + id, "wait=500ms");
  c->services.ask(
    service_id::jobs, std::move(req), [c, id, deadline, done](api_response r) {
      if (c->cancelled())
        return done(
          {nullptr, rpc_failure(request_cancelled, "request cancelled")});
      auto res = service_result(r);
      if (res.value("isError", false))
        return done({res});
      auto& rec = res["structuredContent"];
      auto status = rec.value("status", std::string());
      auto scanned = rec["progress"].value("rows_scanned", int64_t{0});
      c->progress(static_cast<double>(scanned), std::nullopt,
                  "job " + id + " " + status + ": " + std::to_string(scanned) +
                    " rows scanned");
      if (terminal(status) || std::chrono::steady_clock::now() >= deadline)
        return done({res});
      poll_job(c, id, deadline, done);
    });
}

} // namespace

void query_tool_definitions(json& out) {
  json bind = {{"type", "object"},
               {"description", "bind variables (@name, @@collection)"}};
  out.push_back(
    {{"name", "aql_query"},
     {"title", "Run an AQL query"},
     {"description",
      "Runs an AQL query (FOR/FILTER/SORT/LIMIT/RETURN, COLLECT, graph "
      "traversals; see docs/aql.md) and returns up to maxRows rows. Queries "
      "that INSERT/UPDATE/REPLACE/REMOVE need the data:write scope. Long "
      "queries report progress when the request carries a progressToken and "
      "stop when the call is cancelled."},
     {"inputSchema",
      object_schema({{"query", {{"type", "string"}}},
                     {"bindVars", bind},
                     {"maxRows",
                      {{"type", "integer"},
                       {"minimum", 1},
                       {"description", "rows returned (default 100)"}}}},
                    {"query"})},
     {"outputSchema", object_schema({{"rows", {{"type", "array"}}},
                                     {"count", {{"type", "integer"}}},
                                     {"truncated", {{"type", "boolean"}}},
                                     {"stats", {{"type", "object"}}}},
                                    {"rows", "count", "truncated"})},
     {"annotations", annotations(false, true, "Run an AQL query")}});
  out.push_back(
    {{"name", "sql_query"},
     {"title", "Run a read-only SQL query"},
     {"description",
      "Not available over MCP yet: SQL runs in a PostgreSQL session (port "
      "5432, docs/postgres.md). Use aql_query."},
     {"inputSchema", object_schema({{"sql", {{"type", "string"}}}}, {"sql"})},
     {"annotations", annotations(true, false, "Run a SQL query")}});
  out.push_back(
    {{"name", "submit_job"},
     {"title", "Submit an AQL job"},
     {"description",
      "Submits an AQL query as an asynchronous job (docs/jobs.md) and "
      "returns its record. With wait=true the call waits until the job "
      "ends (at most wait_ms), reporting progress; cancelling the call "
      "cancels the job."},
     {"inputSchema",
      object_schema({{"query", {{"type", "string"}}},
                     {"bindVars", bind},
                     {"wait", {{"type", "boolean"}}},
                     {"wait_ms", {{"type", "integer"}, {"minimum", 0}}}},
                    {"query"})},
     {"outputSchema", object_schema({{"job_id", {{"type", "string"}}},
                                     {"status", {{"type", "string"}}}},
                                    {"job_id", "status"})},
     {"annotations", annotations(false, true, "Submit an AQL job")}});
  out.push_back(
    {{"name", "job_status"},
     {"title", "Job status"},
     {"description", "A job's record (status, progress, errors); wait_ms "
                     "long-polls until it changes (at most 30000)."},
     {"inputSchema",
      object_schema(
        {{"job_id", {{"type", "string"}}},
         {"wait_ms",
          {{"type", "integer"}, {"minimum", 0}, {"maximum", 30000}}}},
        {"job_id"})},
     {"outputSchema", object_schema({{"job_id", {{"type", "string"}}},
                                     {"status", {{"type", "string"}}}},
                                    {"job_id", "status"})},
     {"annotations", annotations(true, false, "Job status")}});
  out.push_back(
    {{"name", "job_result"},
     {"title", "Job result page"},
     {"description", "One page of a completed job's rows; pass "
                     "next_page_token back as page_token for the next."},
     {"inputSchema",
      object_schema({{"job_id", {{"type", "string"}}},
                     {"page_size", {{"type", "integer"}, {"minimum", 1}}},
                     {"page_token", {{"type", "string"}}}},
                    {"job_id"})},
     {"outputSchema", {{"type", "object"}}},
     {"annotations", annotations(true, false, "Job result page")}});
  out.push_back(
    {{"name", "recent_changes"},
     {"title", "Recent changes"},
     {"description",
      "Committed document changes from the changefeed in sequence order "
      "(PUT with the document, DELETE), after a sequence (default: the "
      "last `limit` changes). Pass last_sequence back as after to go on."},
     {"inputSchema",
      object_schema(
        {{"after", {{"type", "integer"}, {"minimum", 0}}},
         {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
         {"collection", {{"type", "string"}}}},
        json::array())},
     {"outputSchema", object_schema({{"events", {{"type", "array"}}},
                                     {"last_sequence", {{"type", "integer"}}},
                                     {"tip", {{"type", "integer"}}}},
                                    {"events", "last_sequence", "tip"})},
     {"annotations", annotations(true, false, "Recent changes")}});
}

void tool_aql_query(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "query");
  auto& cfg = c->env.config;
  auto text = arg_string(args, "query", true, cfg.limits.max_sql_bytes);
  auto bind = arg_object(args, "bindVars", false);
  uint64_t cap = cfg.mcp.max_rows;
  auto max_rows =
    arg_uint(args, "maxRows", std::min<uint64_t>(100, cap), 1, cap);
  std::shared_ptr<const aql::parsed_query> pq;
  try {
    pq = std::make_shared<aql::parsed_query>(aql::parse(text));
  } catch (const aql::aql_error& e) {
    throw tool_error(std::string("AQL ") + aql_kind_name(e.kind()) +
                     " error: " + e.what());
  }
  if (pq->modifies)
    need_scope(*c, "data:write");
  auto progress = std::make_shared<aql::run_progress>();
  if (c->call) {
    c->sess->set_query(c->call, progress);
    if (c->cancelled())
      progress->cancel.store(true);
  }
  if (c->streaming && !c->progress_token.is_null()) {
    auto last = std::make_shared<uint64_t>(0);
    c->on_tick = [cp = c.get(), progress, last] {
      auto n = progress->rows_scanned.load();
      if (n != *last) {
        *last = n;
        cp->progress(static_cast<double>(n), std::nullopt,
                     std::to_string(n) + " rows scanned");
      }
    };
  }
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  auto db_path = engine::database_path(so);
  aql::run_limits limits;
  limits.deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(cfg.query.timeout_ms);
  limits.max_rows = cfg.query.max_rows;
  limits.write_batch = cfg.query.write_batch;
  limits.tenant = c->who.tenant;
  limits.all_tenants = c->who.tenant.empty() && c->who.is_admin();
  auto* metrics = &c->env.metrics;
  ++metrics->aql_queries;
  // The work answers a JSON text in an api_response (what work ports carry).
  auto work = [=, bind = std::move(bind)](blocking_writer& w) mutable {
    auto lim = limits;
    lim.server_stop = w.stop_flag();
    json rows = json::array();
    uint64_t count = 0;
    api_response r;
    auto started = std::chrono::steady_clock::now();
    try {
      aql::execute_file(
        db_path, *pq, bind,
        [&](engine::write_batch b) { return w.commit(std::move(b)); },
        *progress, lim,
        [&](json row) {
          if (++count <= max_rows)
            rows.push_back(std::move(row));
        });
    } catch (const aql::aql_error& e) {
      ++metrics->aql_query_errors;
      r.status = e.kind() == aql::error_kind::cancelled ? 499 : 400;
      r.body =
        std::string("AQL ") + aql_kind_name(e.kind()) + " error: " + e.what();
      return r;
    } catch (const std::exception& e) {
      ++metrics->aql_query_errors;
      r.status = 500;
      r.body = std::string("query failed: ") + e.what();
      return r;
    }
    metrics->aql_rows_scanned += progress->rows_scanned.load();
    auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
        .count();
    json out = {{"rows", std::move(rows)},
                {"count", count},
                {"truncated", count > max_rows},
                {"stats",
                 {{"rowsScanned", progress->rows_scanned.load()},
                  {"writesExecuted", progress->writes.load()},
                  {"executionTime", secs}}}};
    r.body = dump(out);
    return r;
  };
  c->work.run_blocking(std::move(work), [c, done](api_response r) {
    c->on_tick = nullptr;
    if (c->cancelled())
      return done(
        {nullptr, rpc_failure(request_cancelled, "request cancelled")});
    if (r.status != 200)
      return done({tool_failed(r.body)});
    json out;
    if (parse_json_body(r.body, out) || out.is_discarded())
      return done({tool_failed("the query's result could not be read")});
    done({tool_ok(std::move(out))});
  });
}

void tool_sql_query(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "query");
  arg_string(args, "sql", true, c->env.config.limits.max_sql_bytes);
  done({tool_failed(
    "sql_query is not available over MCP: SQL runs inside a PostgreSQL "
    "session (psql on the pg port); use aql_query for the same data")});
}

void tool_submit_job(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto text =
    arg_string(args, "query", true, c->env.config.limits.max_sql_bytes);
  auto bind = arg_object(args, "bindVars", false);
  bool wait = arg_bool(args, "wait", false);
  auto wait_ms = arg_uint(args, "wait_ms", 60000, 0, 600000);
  json body = {{"query", text}, {"bindVars", bind}};
  auto req = service_request(*c, "POST", "/v1/jobs", {}, dump(body));
  c->services.ask(
    service_id::jobs, std::move(req), [c, done, wait, wait_ms](api_response r) {
      auto res = service_result(r);
      if (res.value("isError", false))
        return done({res});
      auto id = res["structuredContent"].value("job_id", "");
      if (c->call)
        c->sess->set_job(c->call, id);
      if (c->cancelled()) {
        // cancelled before the job existed: cancel it now
        auto del = service_request(*c, "DELETE", "/v1/jobs/" + id);
        c->services.ask(service_id::jobs, std::move(del), [](api_response) {});
        return done(
          {nullptr, rpc_failure(request_cancelled, "request cancelled")});
      }
      if (!wait)
        return done({res});
      poll_job(c, id,
               std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(wait_ms),
               done);
    });
}

void tool_job_status(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto id = arg_string(args, "job_id", true, 128);
  if (!valid_job_id(id))
    throw tool_error("invalid job id: " + id);
  auto wait = arg_uint(args, "wait_ms", 0, 0, 30000);
  auto req = service_request(*c, "GET", "/v1/jobs/" + id,
                             wait ? "wait=" + std::to_string(wait) + "ms" : "");
  c->services.ask(service_id::jobs, std::move(req),
                  [done](api_response r) { done({service_result(r)}); });
}

void tool_job_result(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto id = arg_string(args, "job_id", true, 128);
  if (!valid_job_id(id))
    throw tool_error("invalid job id: " + id);
  std::string q;
  if (auto ps = arg_uint(args, "page_size", 0, 0, 1000000))
    q = "page_size=" + std::to_string(ps);
  auto tok = arg_string(args, "page_token", false, 128);
  if (!tok.empty()) {
    for (char ch : tok)
      if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
            (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
        throw tool_error("invalid page_token");
    q += (q.empty() ? "" : "&") + std::string("page_token=") + tok;
  }
  auto req = service_request(*c, "GET", "/v1/jobs/" + id + "/result", q);
  c->services.ask(service_id::jobs, std::move(req),
                  [done](api_response r) { done({service_result(r)}); });
}

json tool_recent_changes(call_context& c, const json& args) {
  need_scope(c, "cdc:read");
  auto limit = arg_uint(args, "limit", 100, 1, 1000);
  auto tip = c.env.reader.last_sequence();
  auto after =
    arg_uint(args, "after", tip > limit ? tip - limit : 0, 0, UINT64_MAX >> 1);
  change_filter f;
  f.scope_to(c.who);
  auto coll = arg_string(args, "collection", false, 256);
  if (!coll.empty()) {
    if (!engine::valid_collection_name(coll))
      throw tool_error("invalid collection name: " + coll);
    f.collections.push_back(coll);
  }
  if (c.env.reader.compacted_through() > after)
    throw tool_error("changes after " + std::to_string(after) +
                     " were compacted; start from a later sequence");
  json events = json::array();
  uint64_t cursor = after, scanned = 0;
  // bounded work: at most 10,000 events examined per call
  while (events.size() < limit && scanned < 10000) {
    auto page = c.env.reader.changes_after(cursor, 1000);
    if (page.empty())
      break;
    for (auto& e : page) {
      cursor = e.sequence;
      ++scanned;
      if (f.matches(e)) {
        json ev;
        if (!parse_json_body(f.render(e, nullptr), ev) && !ev.is_discarded())
          events.push_back(std::move(ev));
        if (events.size() >= limit)
          break;
      }
    }
  }
  return tool_ok(
    {{"events", std::move(events)}, {"last_sequence", cursor}, {"tip", tip}});
}

} // namespace themis::mcp
