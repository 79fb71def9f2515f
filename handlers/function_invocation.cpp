/// The shared invocation path (see function_invocation.hpp). Invocations
/// run on the work port's worker threads (a detached actor per call),
/// never on a connection's actor.

#include "handlers/function_invocation.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/store_schema.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace fn = functions;
using json = nlohmann::json;

namespace {

/// The documents of the caller's namespace, with the caller's scopes;
/// writes go through the store writer (so they are change events).
class store_host final : public fn::host_api {
public:
  store_host(handler_env& env, const api_request& req, blocking_writer& w,
             const fn::function_entry& f, uint32_t hops) :
    env_(env),
    req_(req), writer_(w), f_(f), hops_(hops) {}

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

  /// The caller's scopes as for POST /query/aql (query; data:write for
  /// a query that writes), its namespace, the server's row limit, and
  /// the invocation's own deadline.
  fn::host_status aql_query(std::string_view text, std::string& out) override {
    if (!req_.who.has_scope("query"))
      return fn::host_status::forbidden;
    if (text.empty() || text.size() > env_.config.limits.max_sql_bytes)
      return fn::host_status::invalid;
    try {
      auto q = aql::parse(std::string(text));
      if (q.modifies && !req_.who.has_scope("data:write"))
        return fn::host_status::forbidden;
      engine::store_options so;
      so.data_dir = env_.config.engine.data_dir;
      aql::run_limits lim;
      lim.deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::min<uint64_t>(
                       f_.limits.timeout_ms, env_.config.query.timeout_ms));
      lim.max_rows = env_.config.query.max_rows;
      lim.write_batch = env_.config.query.write_batch;
      lim.tenant = req_.who.tenant;
      lim.all_tenants = false;
      lim.server_stop = writer_.stop_flag();
      aql::run_progress progress;
      json rows = json::array();
      aql::execute_file(
        engine::database_path(so), q, json::object(),
        [&](engine::write_batch b) { return writer_.commit(std::move(b)); },
        progress, lim, [&](json row) { rows.push_back(std::move(row)); });
      out = dump(rows);
      return fn::host_status::ok;
    } catch (const aql::aql_error& e) {
      return e.kind() == aql::error_kind::parse ||
                 e.kind() == aql::error_kind::semantic
               ? fn::host_status::invalid
               : fn::host_status::failed;
    } catch (const std::exception&) {
      return fn::host_status::failed;
    }
  }

  fn::host_status mqtt_publish(std::string_view topic,
                               std::string_view payload) override {
    if (!req_.who.has_scope("data:write"))
      return fn::host_status::forbidden;
    auto* reg = env_.functions;
    if (!reg || !reg->mqtt().publish)
      return fn::host_status::failed; // no broker
    auto& mqtt = reg->mqtt();
    // `$` topics are the server's; a NUL is not UTF-8 MQTT accepts
    if (topic.size() > 256 || !mqtt.valid_topic(topic) || topic[0] == '$' ||
        topic.find('\0') != std::string_view::npos ||
        payload.size() > f_.limits.output_bytes)
      return fn::host_status::invalid;
    if (hops_ >= fn::function_registry::max_hops)
      return fn::host_status::failed;
    return mqtt.publish(req_.who.tenant, f_.id, topic, payload, hops_ + 1)
             ? fn::host_status::ok
             : fn::host_status::failed;
  }

private:
  handler_env& env_;
  const api_request& req_;
  blocking_writer& writer_;
  const fn::function_entry& f_;
  uint32_t hops_;
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

} // namespace

fn::function_registry* function_registry_of(route_context& ctx) {
  if (!ctx.env.functions)
    ctx.respond(error_response(404, "functions are off (functions.enabled)"));
  return ctx.env.functions;
}

std::shared_ptr<fn::function_entry> function_of(route_context& ctx) {
  auto* reg = function_registry_of(ctx);
  if (!reg)
    return nullptr;
  auto f = reg->get(ctx.req.who.tenant, ctx.params[0]);
  if (!f)
    ctx.respond(error_response(404, "function not found: " + ctx.params[0]));
  return f;
}

fn::invocation_result run_function(handler_env& env, const api_request& req,
                                   fn::function_entry& f, blocking_writer& w,
                                   invocation_request call) {
  auto t0 = std::chrono::steady_clock::now();
  store_host host(env, req, w, f, call.hops);
  fn::invocation_input in;
  in.body = std::move(call.body);
  in.args = {f.id};
  for (auto& a : call.args)
    in.args.push_back(std::move(a));
  in.environ = environ_of(req, f);
  for (auto& e : call.environ)
    in.environ.push_back(std::move(e));
  in.host = &host;
  in.stop = w.stop_flag();
  auto r = fn::invoke(*f.module, in, f.limits);
  auto us =
    static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - t0)
                            .count());
  if (env.functions)
    env.functions->count(r.kind, us);
  bool failed = r.kind != fn::outcome::ok;
  std::string text = r.log;
  if (failed)
    text += (text.empty() || text.back() == '\n' ? "" : "\n") + r.message;
  f.record(
    {unix_now_ms(), req.request_id, fn::outcome_name(r.kind), std::move(text)},
    failed, us);
  if (failed && r.kind != fn::outcome::trap && r.kind != fn::outcome::exit &&
      env.audit)
    env.audit->append(http_audit_event(req, "function.limit", "killed",
                                       "function " + f.id + ": " + r.message));
  return r;
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

void start_invocation(route_context& ctx, std::shared_ptr<fn::function_entry> f,
                      invocation_request call) {
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
    [env, f, slot, req = ctx.req,
     call = std::move(call)](blocking_writer& w) mutable {
      auto r = run_function(*env, req, *f, w, std::move(call));
      slot.reset();
      return answer_of(r);
    },
    ctx.respond);
}

} // namespace themis
