/// The Functions API over functions/function_registry (a tenant sees only
/// its own functions: every lookup is keyed by the caller's tenant).
/// Uploads and invocations run on the work port's worker threads, one
/// detached actor per call, never on the connection's actor.

#include "handlers/function_handlers.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

#include "functions/function_registry.hpp"
#include "functions/wasm_runtime.hpp"
#include "handlers/function_invocation.hpp"
#include "handlers/function_triggers.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/prometheus_text.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/tenant_scope.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace fn = functions;
using json = nlohmann::json;

namespace {

/// How a tenant spells itself in `/fn/{tenant}/...`: the global
/// namespace (no tenant) is `_`, which no tenant id can be.
std::string route_tenant(const std::string& tenant) {
  return tenant.empty() ? "_" : tenant;
}

std::string route_of(const fn::function_entry& f) {
  return "/fn/" + route_tenant(f.tenant) + "/" + f.id;
}

json render(const fn::function_entry& f) {
  auto n = f.invocations.load();
  json host_calls = f.info.host_calls;
  return {{"id", f.id},
          {"name", f.name},
          {"version", f.version},
          {"created_ms", f.created_ms},
          {"updated_ms", f.updated_ms},
          {"created_by", f.created_by},
          {"route", f.route ? json(route_of(f)) : json(nullptr)},
          {"module",
           {{"bytes", f.wasm_bytes},
            {"functions", f.info.functions},
            {"memory_min_pages", f.info.memory_min_pages},
            {"imports", host_calls}}},
          {"limits",
           {{"fuel", f.limits.fuel},
            {"timeout_ms", f.limits.timeout_ms},
            {"memory_pages", f.limits.memory_pages},
            {"output_bytes", f.limits.output_bytes},
            {"max_concurrent", f.limits.max_concurrent}}},
          {"stats",
           {{"invocations", n},
            {"failures", f.failures.load()},
            {"running", f.running.load()},
            {"mean_us", n ? f.total_us.load() / n : 0},
            {"max_us", f.max_us.load()}}}};
}

/// A query parameter as a limit override; false: a 400 has been sent.
bool read_limit(route_context& ctx, const char* name,
                std::optional<uint64_t>& out) {
  auto v = query_param(ctx.req.query, name);
  if (!v)
    return true;
  uint64_t n = 0;
  if (!parse_uint(*v, n)) {
    ctx.respond(error_response(400, std::string(name) +
                                      " must be a non-negative integer"));
    return false;
  }
  out = n;
  return true;
}

} // namespace

void function_upload(route_context& ctx) {
  auto* reg = function_registry_of(ctx);
  if (!reg)
    return;
  auto id = ctx.params[0];
  if (!fn::function_registry::valid_id(id))
    return ctx.respond(error_response(
      400, "function id must be 1-64 of a-z, A-Z, 0-9, '-' and '_'"));
  if (ctx.req.body.empty())
    return ctx.respond(error_response(400, "the body must be a .wasm module"));
  fn::limit_overrides o;
  if (!read_limit(ctx, "fuel", o.fuel) ||
      !read_limit(ctx, "timeout_ms", o.timeout_ms) ||
      !read_limit(ctx, "memory_pages", o.memory_pages) ||
      !read_limit(ctx, "output_bytes", o.output_bytes) ||
      !read_limit(ctx, "max_concurrent", o.max_concurrent))
    return;
  if (auto v = query_param(ctx.req.query, "route")) {
    if (*v != "true" && *v != "false" && *v != "1" && *v != "0")
      return ctx.respond(error_response(400, "route must be true or false"));
    o.route = *v == "true" || *v == "1";
  }
  std::string name = query_param(ctx.req.query, "name").value_or("");
  if (auto h = ctx.req.header("X-Function-Name"); h && name.empty())
    name = *h;
  if (name.size() > 128)
    return ctx.respond(error_response(400, "name has more than 128 bytes"));
  auto* audit = ctx.env.audit;
  // compiling a large module takes a while: off the connection's actor
  ctx.work.run_blocking(
    [reg, audit, req = ctx.req, id, name, o](blocking_writer&) {
      auto r = reg->upload(req.who.tenant, id, name, req.body, o,
                           req.who.display(), unix_now_ms());
      if (audit)
        audit->append(http_audit_event(
          req, "function.upload", r.entry ? "ok" : "refused",
          "function " + id +
            (r.entry ? " version " + std::to_string(r.entry->version)
                     : ": " + r.error)));
      if (!r.entry)
        return error_response(400, r.error);
      auto resp = json_response(r.created ? 201 : 200, dump(render(*r.entry)));
      resp.set_header("Location", "/api/v1/functions/" + id);
      return resp;
    },
    ctx.respond);
}

void function_list(route_context& ctx) {
  auto* reg = function_registry_of(ctx);
  if (!reg)
    return;
  json items = json::array();
  for (auto& f : reg->list(ctx.req.who.tenant))
    items.push_back(render(*f));
  ctx.respond(json_response(200, dump({{"functions", std::move(items)}})));
}

void function_get(route_context& ctx) {
  if (auto f = function_of(ctx))
    ctx.respond(json_response(200, dump(render(*f))));
}

void function_delete(route_context& ctx) {
  auto* reg = function_registry_of(ctx);
  if (!reg)
    return;
  if (!reg->remove(ctx.req.who.tenant, ctx.params[0]))
    return ctx.respond(
      error_response(404, "function not found: " + ctx.params[0]));
  audit_event_of(ctx, "function.delete", "ok", "function " + ctx.params[0]);
  api_response r;
  r.status = 204;
  ctx.respond(std::move(r));
}

void function_logs(route_context& ctx) {
  auto f = function_of(ctx);
  if (!f)
    return;
  json logs = json::array();
  for (auto& e : f->recent_logs())
    logs.push_back({{"time_ms", e.time_ms},
                    {"request_id", e.invocation},
                    {"outcome", e.outcome},
                    {"text", e.text}});
  ctx.respond(json_response(200, dump({{"logs", std::move(logs)}})));
}

void function_invoke(route_context& ctx) {
  if (auto f = function_of(ctx))
    start_invocation(ctx, std::move(f), {ctx.req.body, {}, {}});
}

void function_route(route_context& ctx) {
  auto* reg = function_registry_of(ctx);
  if (!reg)
    return;
  auto& who = ctx.req.who;
  auto f = ctx.params[0] == route_tenant(who.tenant)
             ? reg->get(who.tenant, ctx.params[1])
             : nullptr;
  // another tenant's route looks exactly like a missing one
  if (!f || !f->route)
    return ctx.respond(error_response(
      404, "no function bound at /fn/" + ctx.params[0] + "/" + ctx.params[1]));
  auto segs = split_template(ctx.req.path);
  std::string sub;
  for (size_t i = 3; i < segs.size(); ++i)
    sub += "/" + segs[i];
  if (sub.empty())
    sub = "/";
  invocation_request call{
    ctx.req.body,
    {sub},
    {"THEMIS_PATH=" + sub, "THEMIS_ROUTE=" + route_of(*f)}};
  start_invocation(ctx, std::move(f), std::move(call));
}

void render_function_metrics(const fn::function_registry& reg,
                             prometheus_text& out) {
  auto& t = reg.totals();
  out.family("themis_function_invocations_total", "counter",
             "Function invocations by how they ended.");
  for (size_t i = 0; i < fn::registry_totals::outcomes; ++i)
    out.sample("themis_function_invocations_total", t.by_outcome[i].load(),
               {{"outcome", fn::outcome_name(static_cast<fn::outcome>(i))}});
  out.single("themis_function_rejected_total", "counter",
             "Invocations refused with 429 (concurrency limits).",
             t.rejected.load());
  out.single("themis_function_running", "gauge", "Invocations running now.",
             reg.running());
  out.single("themis_function_seconds_total", "counter",
             "Time spent in invocations.",
             static_cast<double>(t.micros.load()) / 1e6);
  out.single("themis_functions", "gauge", "Functions stored, all tenants.",
             static_cast<uint64_t>(reg.function_count()));
  out.family("themis_function_trigger_invocations_total", "counter",
             "Trigger invocations by source and result (a failed change "
             "event is retried, then dead-lettered).");
  auto trig = [&](const char* source, const char* result, uint64_t n) {
    out.sample("themis_function_trigger_invocations_total", n,
               {{"source", source}, {"result", result}});
  };
  trig("change", "ok", t.trigger_ok.load());
  trig("change", "failed", t.trigger_failed.load());
  trig("mqtt", "ok", t.mqtt_ok.load());
  trig("mqtt", "failed", t.mqtt_failed.load());
  out.single("themis_function_dead_letters_total", "counter",
             "Change events that failed every attempt (dead-letter "
             "collection).",
             t.dead_letters.load());
  out.single("themis_function_trigger_lag", "gauge",
             "Change events committed after the change triggers' "
             "checkpoints, summed over the triggers.",
             t.trigger_lag.load());
  out.single("themis_function_mqtt_dropped_total", "counter",
             "MQTT messages a trigger dropped (queue full or a chain of "
             "functions too long).",
             t.mqtt_dropped.load());
  out.single("themis_function_mqtt_queued", "gauge",
             "MQTT messages waiting for a trigger invocation.",
             t.mqtt_queued.load());
}

void register_function_routes(route_registry& reg) {
  reg.add("/api/v1/functions", {"functions"})
    .get(function_list, "The caller's functions with their statistics")
    .scope("data:read");
  reg.add("/api/v1/functions/{id}", {"functions"})
    .get(function_get, "A function's metadata, version, limits and stats")
    .scope("data:read")
    .errors({404})
    .del(function_delete, "Delete a function")
    .scope("data:write")
    .errors({404});
  reg.add("/api/v1/functions/{id}/wasm", {"functions"})
    .put(function_upload, "Upload a WASI module as a new version")
    .describe("Body: the .wasm binary. Query: name, fuel, timeout_ms, "
              "memory_pages, output_bytes, max_concurrent, route "
              "(docs/functions.md)")
    .scope("data:write")
    .consumes("application/wasm")
    .errors({400});
  reg.add("/api/v1/functions/{id}/invoke", {"functions"})
    .post(function_invoke, "Run the function: body to stdin, stdout back")
    .scope("data:read")
    .consumes("application/octet-stream")
    .errors({404, 429, 500, 503, 504});
  // a bound function (upload with route=true): any method, any sub-path;
  // {tenant} is the caller's own (`_` for the global namespace)
  for (auto path : {"/fn/{tenant}/{id}", "/fn/{tenant}/{id}/*"})
    reg.add(path, {"functions"})
      .any(function_route, "Run a bound function: method, path, query and "
                           "headers in its environment, body to stdin")
      .scope("data:read")
      .consumes("application/octet-stream")
      .errors({404, 429, 500, 503, 504});
  register_function_trigger_routes(reg);
  reg.add("/api/v1/functions/{id}/logs", {"functions"})
    .get(function_logs, "The function's last 100 invocation logs")
    .scope("data:read")
    .errors({404});
}

} // namespace themis
