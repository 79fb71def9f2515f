/// Trigger invocations on a worker thread (see function_trigger_run.hpp).

#include "handlers/function_trigger_run.hpp"

#include <nlohmann/json.hpp>

#include <random>

#include "engine/names.hpp"
#include "functions/function_registry.hpp"
#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "themis/clock.hpp"
#include "themis/principal.hpp"

namespace themis {

namespace fn = functions;
using json = nlohmann::json;

namespace {

api_response result(trigger_result r, std::string why = {}) {
  api_response a;
  a.status = static_cast<int>(r);
  a.body = std::move(why);
  return a;
}

std::string fresh_key() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string k;
  for (auto v = rng(); k.size() < 16; v >>= 4)
    k += hex[v & 15];
  return k;
}

/// Stores an MQTT trigger's stdout into its output collection.
std::string store_output(const fn::trigger_spec& t, const std::string& out,
                         blocking_writer& w) {
  auto doc = json::parse(out, nullptr, false);
  if (!doc.is_object())
    return "stdout is not a JSON object (the output collection takes one)";
  std::string key = fresh_key();
  if (doc.contains("_key")) {
    if (!doc["_key"].is_string() ||
        !engine::valid_key(doc["_key"].get<std::string>()))
      return "the output's _key is not a valid key";
    key = doc["_key"].get<std::string>();
  }
  engine::write_op op;
  op.kind = engine::op_kind::put;
  op.collection = tenant_collection(t.tenant, t.output);
  op.key = key;
  op.doc = out;
  op.create_collection = true;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  auto r = w.commit(std::move(b));
  if (!r.committed || r.results.empty() ||
      (r.results[0].status != engine::op_status::ok &&
       r.results[0].status != engine::op_status::created))
    return "storing the output failed" +
           (r.error.empty() ? std::string() : ": " + r.error);
  return {};
}

} // namespace

std::string trigger_event_json(const fn::trigger_spec& t,
                               const engine::change_event& e) {
  return event_json(e, true, &t.collection);
}

trigger_admission admit_trigger(fn::function_registry& reg,
                                const fn::trigger_spec& t) {
  trigger_admission a;
  a.function = reg.get(t.tenant, t.function);
  if (!a.function) {
    a.result = trigger_result::gone;
  } else if (reg.acquire(*a.function) != fn::function_registry::admission::ok) {
    a.result = trigger_result::busy;
    a.function = nullptr;
  } else {
    a.slot = std::shared_ptr<void>(
      nullptr, [&reg, f = a.function](void*) { reg.release(*f); });
  }
  return a;
}

api_response run_trigger(handler_env& env, const fn::trigger_spec& t,
                         const trigger_admission& admitted,
                         invocation_request call, const std::string& request_id,
                         blocking_writer& w) {
  if (!admitted.function)
    return result(admitted.result);
  auto& f = admitted.function;
  api_request req;
  req.method = "TRIGGER";
  req.path = "/api/v1/functions/" + t.function + "/triggers/" + t.id;
  req.request_id = request_id;
  req.remote_addr = "trigger";
  req.who = principal{t.user, t.tenant, t.scopes, t.via, {}};
  call.environ.push_back("THEMIS_TRIGGER=" + t.id);
  auto r = run_function(env, req, *f, w, std::move(call));
  if (r.kind == fn::outcome::stopped)
    return result(trigger_result::stopped);
  if (r.kind != fn::outcome::ok)
    return result(trigger_result::failed,
                  std::string(fn::outcome_name(r.kind)) + ": " + r.message);
  if (r.status >= 400)
    return result(trigger_result::failed,
                  "the function answered status " + std::to_string(r.status));
  if (t.kind == fn::trigger_spec::source::mqtt && !t.output.empty())
    if (auto why = store_output(t, r.out, w); !why.empty())
      return result(trigger_result::failed, why);
  return result(trigger_result::done);
}

engine::write_batch dead_letter_batch(const fn::trigger_spec& t,
                                      uint64_t sequence,
                                      const std::string& event,
                                      const std::string& error,
                                      uint32_t attempts) {
  json ev = json::parse(event, nullptr, false);
  json doc = {
    {"trigger", t.id},         {"function", t.function},
    {"sequence", sequence},    {"event", ev.is_discarded() ? json(event) : ev},
    {"error", error},          {"attempts", attempts},
    {"time_ms", unix_now_ms()}};
  engine::write_op op;
  op.kind = engine::op_kind::put;
  op.collection = tenant_collection(t.tenant, dead_letter_collection);
  op.key = t.id + "-" + std::to_string(sequence);
  op.doc = dump(doc);
  op.create_collection = true;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  return b;
}

} // namespace themis
