/// MCP tools that run queries or read the changefeed: aql_query (bounded
/// rows, bind variables, progress, cancellation), sql_query and
/// recent_changes (the change log, tenant-scoped); the definitions of the
/// job tools too (their code: mcp_tools_jobs.cpp).

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
      "Runs one read-only SQL SELECT (PostgreSQL dialect, as over the "
      "PostgreSQL protocol: collections are tables with _key, _rev, doc; "
      "see docs/postgres.md) and returns up to maxRows rows as objects."},
     {"inputSchema",
      object_schema({{"sql", {{"type", "string"}}},
                     {"maxRows",
                      {{"type", "integer"},
                       {"minimum", 1},
                       {"description", "rows returned (default 100)"}}}},
                    {"sql"})},
     {"outputSchema", object_schema({{"columns", {{"type", "array"}}},
                                     {"rows", {{"type", "array"}}},
                                     {"truncated", {{"type", "boolean"}}}},
                                    {"columns", "rows", "truncated"})},
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
