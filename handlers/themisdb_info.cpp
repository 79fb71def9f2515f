/// Health, stats and topology in ThemisDB's shapes: GET (any method) /health
/// and /, /health/live and /health/ready with `checks`, GET /stats, and
/// GET /_admin/cluster/topology, the first call of ThemisDB's JavaScript
/// SDK (it throws TopologyError on a 404).

#include <nlohmann/json.hpp>
#include <thread>

#include "engine/reader_pool.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/http_json.hpp"
#include "handlers/process_metrics.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::string version_of(route_context& ctx) {
  if (ctx.env.admin && !ctx.env.admin->version.empty())
    return ctx.env.admin->version;
  auto& v = ctx.env.metrics.version();
  return v.empty() ? std::string("0.1.0") : v;
}

/// ThemisDB's probe fields and themisd's component states, one object for
/// /health/live and /health/ready; `ready` says whether to take traffic.
json checks(route_context& ctx, bool& ready) {
  auto& m = ctx.env.metrics;
  bool engine = m.engine_open.load();
  bool listeners = m.listeners_up.load();
  bool draining = m.draining.load();
  int breaker = m.writer_breaker_state.load();
  bool jobs = m.jobs_up.load();
  // An open breaker means writes fail fast: out of rotation until it
  // closes. A jobs subtree that gave up leaves the rest ready (degraded).
  ready = engine && listeners && !draining && breaker != 1;
  static constexpr const char* breaker_names[] = {"closed", "open",
                                                  "half_open"};
  json concerns = json::array();
  if (!engine)
    concerns.push_back("storage is not open");
  if (!listeners)
    concerns.push_back("listeners are not up yet");
  if (draining)
    concerns.push_back("draining: finishing in-flight work before stopping");
  if (breaker == 1)
    concerns.push_back("store writer circuit breaker is open");
  if (!jobs)
    concerns.push_back("the jobs subsystem stopped restarting");
  return {{"server_running", true},
          {"storage_available", engine},
          {"active_connections", m.open_connections.load()},
          {"active_requests", m.inflight_requests.load()},
          {"memory_rss_bytes", process_rss_bytes()},
          {"concerns", concerns},
          {"engine", engine ? "up" : "down"},
          {"listeners", listeners ? "up" : "down"},
          {"draining", draining},
          {"store_writer_breaker",
           breaker_names[breaker < 0 || breaker > 2 ? 0 : breaker]},
          {"jobs", jobs ? "up" : "down"}};
}

} // namespace

void health(route_context& ctx) {
  json j = {
    {"status", "healthy"},
    {"database", "themis"},
    {"version", version_of(ctx)},
    {"uptime_seconds", static_cast<int64_t>(ctx.env.metrics.uptime_seconds())}};
  ctx.respond(json_response(200, j.dump()));
}

void health_live(route_context& ctx) {
  bool ready = false;
  json j = {{"status", "alive"}, {"checks", checks(ctx, ready)}};
  ctx.respond(json_response(200, j.dump()));
}

void health_ready(route_context& ctx) {
  bool ready = false;
  auto c = checks(ctx, ready);
  json j = {{"status", ready ? "ready" : "not_ready"}, {"checks", c}};
  auto r = json_response(ready ? 200 : 503, j.dump());
  if (!ready)
    r.set_header("Retry-After", "1");
  ctx.respond(std::move(r));
}

void server_stats(route_context& ctx) {
  auto& m = ctx.env.metrics;
  auto [requests, errors] = m.request_totals();
  auto up = m.uptime_seconds();
  int64_t documents = 0;
  size_t collections = 0;
  for (auto& c : ctx.env.reader.collections()) {
    ++collections;
    documents += c.count;
  }
  json j = {
    {"server",
     {{"queries_per_second", up > 0 ? static_cast<double>(requests) / up : 0.0},
      {"threads", std::thread::hardware_concurrency()},
      {"total_errors", errors},
      {"total_requests", requests},
      {"uptime_seconds", static_cast<int64_t>(up)},
      {"open_connections", m.open_connections.load()},
      {"memory_rss_bytes", process_rss_bytes()}}},
    {"storage",
     {{"engine", "sqlite"},
      {"collections", collections},
      {"documents", documents},
      {"last_sequence", m.engine_last_sequence.load()},
      {"commits", m.engine_commits.load()},
      {"operations", m.engine_ops.load()}}}};
  ctx.respond(json_response(200, j.dump()));
}

void cluster_topology(route_context& ctx) {
  // One node: this one, at the address the client reached it by (its
  // Host), over TLS when that port is an https listener's.
  std::string host = "127.0.0.1";
  if (auto h = ctx.req.header("Host"); h && !h->empty() && h->size() < 256)
    host = *h;
  bool tls = false;
  if (ctx.env.admin) {
    auto colon = host.rfind(':');
    auto port =
      colon == std::string::npos ? std::string() : host.substr(colon + 1);
    for (auto& l : ctx.env.admin->listeners())
      if (l.name == "https" && !port.empty() &&
          l.address.size() > port.size() &&
          l.address.compare(l.address.size() - port.size() - 1,
                            std::string::npos, ":" + port) == 0)
        tls = true;
  }
  auto endpoint = std::string(tls ? "https://" : "http://") + host;
  json node = {{"id", "themisd-1"},
               {"endpoint", endpoint},
               {"http_endpoint", endpoint},
               {"status", "healthy"},
               {"role", "primary"},
               {"shard_range", {{"start", 0}, {"end", 4294967295u}}}};
  json j = {{"cluster", "themisd"},
            {"version", version_of(ctx)},
            {"shards", json::array({node})},
            {"nodes", json::array({node})}};
  ctx.respond(json_response(200, j.dump()));
}

} // namespace themis
