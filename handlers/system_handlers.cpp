/// Health, readiness, metrics and the debug crash route.

#include <nlohmann/json.hpp>

#include "handlers/fault_table.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

void metrics(route_context& ctx) {
  api_response r;
  r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
  r.body = ctx.env.metrics.render();
  ctx.respond(std::move(r));
}

void faults_get(route_context& ctx) {
  nlohmann::json j = nlohmann::json::object();
  for (auto name : {"store_writer", "jobs_manager", "changefeed_hub"}) {
    fault_target t;
    fault_table::parse_target(name, t);
    auto& f = ctx.env.faults.at(t);
    j[name] = {{"crash_rate", f.crash_ppm.load() / 1e6},
               {"error_rate", f.error_ppm.load() / 1e6},
               {"stall_ms", f.stall_ms.load()}};
  }
  j["injected"] = ctx.env.faults.injected.load();
  ctx.respond(json_response(200, j.dump()));
}

void faults_set(route_context& ctx) {
  // {"target": "store_writer", "crash_rate": 0.1, "error_rate": 0,
  //  "stall_ms": 200}; absent fields keep their value
  nlohmann::json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  fault_target t;
  if (!body.is_object() || !body.contains("target") ||
      !body["target"].is_string() ||
      !fault_table::parse_target(body["target"].get<std::string>(), t))
    return ctx.respond(error_response(
      400, "expected {\"target\": \"store_writer\"|\"jobs_manager\"|"
           "\"changefeed_hub\", \"crash_rate\"?, \"error_rate\"?, "
           "\"stall_ms\"?}"));
  auto& f = ctx.env.faults.at(t);
  auto rate = [&](const char* name, std::atomic<uint32_t>& out) {
    auto it = body.find(name);
    if (it == body.end())
      return true;
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1)
      return false;
    out = static_cast<uint32_t>(it->get<double>() * 1e6);
    return true;
  };
  if (!rate("crash_rate", f.crash_ppm) || !rate("error_rate", f.error_ppm))
    return ctx.respond(error_response(400, "rates must be numbers in [0, 1]"));
  if (auto it = body.find("stall_ms"); it != body.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 60000)
      return ctx.respond(
        error_response(400, "stall_ms must be an integer in [0, 60000]"));
    f.stall_ms = it->get<uint32_t>();
  }
  audit_event_of(ctx, "faults.set", "ok", body.dump());
  faults_get(ctx);
}

void debug_crash(route_context& ctx) {
  // Deliberate failures, enabled only by debug.crash_routes: an exception
  // the connection answers with 500, or one that ends the connection actor.
  if (query_param(ctx.req.query, "mode").value_or("") == "actor")
    throw actor_crash("deliberate connection actor crash");
  throw std::runtime_error("deliberate handler crash");
}

} // namespace themis
