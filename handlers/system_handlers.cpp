/// Health, readiness, metrics and the debug crash route.

#include <nlohmann/json.hpp>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

void health(route_context& ctx) {
  auto& m = ctx.env.metrics;
  nlohmann::json j = {
    {"status", "ok"},
    {"uptime_seconds", static_cast<int64_t>(m.uptime_seconds())}};
  ctx.respond(json_response(200, j.dump()));
}

void health_live(route_context& ctx) {
  ctx.respond(json_response(200, "{\"status\":\"alive\"}"));
}

void health_ready(route_context& ctx) {
  auto& m = ctx.env.metrics;
  bool engine = m.engine_open.load();
  bool listeners = m.listeners_up.load();
  bool draining = m.draining.load();
  bool ready = engine && listeners && !draining;
  nlohmann::json j = {{"status", ready ? "ready" : "not_ready"},
                      {"checks",
                       {{"engine", engine ? "up" : "down"},
                        {"listeners", listeners ? "up" : "down"},
                        {"draining", draining}}}};
  auto r = json_response(ready ? 200 : 503, j.dump());
  if (!ready)
    r.set_header("Retry-After", "1");
  ctx.respond(std::move(r));
}

void metrics(route_context& ctx) {
  api_response r;
  r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
  r.body = ctx.env.metrics.render();
  ctx.respond(std::move(r));
}

void debug_crash(route_context& ctx) {
  // Deliberate failures, enabled only by debug.crash_routes: an exception
  // the connection answers with 500, or one that ends the connection actor.
  if (query_param(ctx.req.query, "mode").value_or("") == "actor")
    throw actor_crash("deliberate connection actor crash");
  throw std::runtime_error("deliberate handler crash");
}

} // namespace themis
