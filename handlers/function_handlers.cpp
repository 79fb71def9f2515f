/// The Functions API over functions/function_registry (a tenant sees only
/// its own functions: every lookup is keyed by the caller's tenant).
/// Uploads and invocations run on the work port's worker threads, one
/// detached actor per call, never on the connection's actor.

#include "handlers/function_handlers.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

#include "functions/function_registry.hpp"
#include "functions/wasm_runtime.hpp"
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

/// The registry, or a 404 has been sent (functions.enabled is off).
fn::function_registry* registry(route_context& ctx) {
  if (!ctx.env.functions)
    ctx.respond(error_response(404, "functions are off (functions.enabled)"));
  return ctx.env.functions;
}

/// The caller's function `{id}`, or a 404 has been sent.
std::shared_ptr<fn::function_entry> lookup(route_context& ctx) {
  auto* reg = registry(ctx);
  if (!reg)
    return nullptr;
  auto f = reg->get(ctx.req.who.tenant, ctx.params[0]);
  if (!f)
    ctx.respond(error_response(404, "function not found: " + ctx.params[0]));
  return f;
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

/// The documents of the caller's namespace, with the caller's scopes;
/// writes go through the store writer (so they are change events).
class store_host final : public fn::host_api {
public:
  store_host(handler_env& env, const api_request& req, blocking_writer& w) :
    env_(env), req_(req), writer_(w) {}

  fn::host_status get_document(std::string_view coll, std::string_view key,
                               std::string& out) override {
    if (!req_.who.has_scope("data:read"))
      return fn::host_status::forbidden;
    auto stored = stored_collection(req_, std::string(coll));
    if (stored.empty() || !engine::valid_key(key))
      return fn::host_status::invalid;
    auto doc = env_.reader.get(stored, std::string(key));
    if (!doc)
      return fn::host_status::not_found;
    out = std::move(doc->json);
    return fn::host_status::ok;
  }

  fn::host_status put_document(std::string_view coll, std::string_view key,
                               std::string_view doc) override {
    if (!req_.who.has_scope("data:write"))
      return fn::host_status::forbidden;
    auto stored = stored_collection(req_, std::string(coll));
    auto parsed = json::parse(doc, nullptr, false);
    if (stored.empty() || !engine::valid_key(key) || !parsed.is_object())
      return fn::host_status::invalid;
    engine::write_op op;
    op.kind = engine::op_kind::put;
    op.collection = std::move(stored);
    op.key = std::string(key);
    op.doc = std::string(doc);
    op.create_collection = true;
    engine::write_batch b;
    b.ops.push_back(std::move(op));
    auto r = writer_.commit(std::move(b));
    if (!r.committed || r.results.empty() ||
        (r.results[0].status != engine::op_status::ok &&
         r.results[0].status != engine::op_status::created))
      return fn::host_status::failed;
    return fn::host_status::ok;
  }

private:
  handler_env& env_;
  const api_request& req_;
  blocking_writer& writer_;
};

/// Request metadata as the module's environment (credentials left out).
std::vector<std::string> environ_of(const api_request& req,
                                    const fn::function_entry& f) {
  std::vector<std::string> env = {"THEMIS_FUNCTION=" + f.id,
                                  "THEMIS_VERSION=" + std::to_string(f.version),
                                  "THEMIS_TENANT=" + req.who.tenant,
                                  "THEMIS_USER=" + req.who.user,
                                  "THEMIS_REQUEST_ID=" + req.request_id,
                                  "THEMIS_METHOD=" + req.method,
                                  "THEMIS_QUERY=" + req.query};
  for (auto& [k, v] : req.headers) {
    if (iequals(k, "authorization") || iequals(k, "cookie") ||
        iequals(k, "proxy-authorization"))
      continue;
    std::string name = "HTTP_";
    for (char c : k)
      name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    env.push_back(name + "=" + v);
  }
  return env;
}

api_response answer_of(const fn::invocation_result& r) {
  using fn::outcome;
  if (r.kind == outcome::ok) {
    api_response resp;
    resp.status = r.status;
    resp.body = r.out;
    bool typed = false;
    for (auto& [k, v] : r.headers) {
      typed = typed || iequals(k, "content-type");
      resp.headers.emplace_back(k, v);
    }
    if (!typed)
      resp.set_header("Content-Type", "text/plain; charset=utf-8");
    return resp;
  }
  int status = 500;
  std::string prefix = "function failed: ";
  if (r.kind == outcome::deadline || r.kind == outcome::fuel) {
    status = 504;
    prefix = "DEADLINE_EXCEEDED: ";
  } else if (r.kind == outcome::stopped) {
    status = 503;
  }
  auto resp = error_response(status, prefix + r.message);
  resp.set_header("X-Function-Outcome", fn::outcome_name(r.kind));
  if (status == 504)
    resp.set_header("grpc-status", "4"); // DEADLINE_EXCEEDED
  return resp;
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
  auto* reg = registry(ctx);
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
  auto* reg = registry(ctx);
  if (!reg)
    return;
  json items = json::array();
  for (auto& f : reg->list(ctx.req.who.tenant))
    items.push_back(render(*f));
  ctx.respond(json_response(200, dump({{"functions", std::move(items)}})));
}

void function_get(route_context& ctx) {
  if (auto f = lookup(ctx))
    ctx.respond(json_response(200, dump(render(*f))));
}

void function_delete(route_context& ctx) {
  auto* reg = registry(ctx);
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
  auto f = lookup(ctx);
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
  auto f = lookup(ctx);
  if (!f)
    return;
  auto* reg = ctx.env.functions;
  auto admitted = reg->acquire(*f);
  if (admitted != fn::function_registry::admission::ok) {
    bool own = admitted == fn::function_registry::admission::function_busy;
    audit_event_of(ctx, "function.limit", "refused",
                   "function " + f->id + ": concurrency");
    return ctx.respond(too_many_response(
      own
        ? "function " + f->id + " runs " +
            std::to_string(f->limits.max_concurrent) +
            " invocations already (max_concurrent)"
        : "the tenant runs " + std::to_string(reg->config().tenant_concurrent) +
            " invocations already",
      1));
  }
  auto* env = &ctx.env;
  // the slot is given back when the work is done, or when the work port
  // drops it without running it (draining)
  std::shared_ptr<void> slot(nullptr, [reg, f](void*) { reg->release(*f); });
  ctx.work.run_blocking(
    [env, reg, f, slot, req = ctx.req](blocking_writer& w) mutable {
      auto t0 = std::chrono::steady_clock::now();
      store_host host(*env, req, w);
      fn::invocation_input in;
      in.body = req.body;
      in.args = {f->id};
      in.environ = environ_of(req, *f);
      in.host = &host;
      in.stop = w.stop_flag();
      auto r = fn::invoke(*f->module, in, f->limits);
      slot.reset();
      auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0)
          .count());
      reg->count(r.kind, us);
      bool failed = r.kind != fn::outcome::ok;
      std::string text = r.log;
      if (failed)
        text += (text.empty() || text.back() == '\n' ? "" : "\n") + r.message;
      f->record({unix_now_ms(), req.request_id, fn::outcome_name(r.kind),
                 std::move(text)},
                failed, us);
      if (failed && r.kind != fn::outcome::trap &&
          r.kind != fn::outcome::exit && env->audit)
        env->audit->append(
          http_audit_event(req, "function.limit", "killed",
                           "function " + f->id + ": " + r.message));
      return answer_of(r);
    },
    ctx.respond);
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
              "memory_pages, output_bytes, max_concurrent (docs/functions.md)")
    .scope("data:write")
    .consumes("application/wasm")
    .errors({400});
  reg.add("/api/v1/functions/{id}/invoke", {"functions"})
    .post(function_invoke, "Run the function: body to stdin, stdout back")
    .scope("data:read")
    .consumes("application/octet-stream")
    .errors({404, 429, 500, 503, 504});
  reg.add("/api/v1/functions/{id}/logs", {"functions"})
    .get(function_logs, "The function's last 100 invocation logs")
    .scope("data:read")
    .errors({404});
}

} // namespace themis
