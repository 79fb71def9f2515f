/// /api/v1/functions/{id}/triggers (issue 27): create, list and delete a
/// function's change-feed and MQTT triggers (functions/trigger_store.hpp).
/// The trigger actor (actors/function_triggers.cpp) runs them.

#include "handlers/function_triggers.hpp"

#include <nlohmann/json.hpp>

#include "engine/names.hpp"
#include "functions/function_registry.hpp"
#include "handlers/function_invocation.hpp"
#include "handlers/function_trigger_run.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace fn = functions;
using json = nlohmann::json;

namespace {

json render(const fn::trigger_spec& t, uint64_t tip,
            const fn::trigger_stats& st) {
  json j = {{"id", t.id},
            {"function", t.function},
            {"created_ms", t.created_ms},
            {"created_by", t.user},
            {"stats",
             {{"invocations", st.invocations},
              {"failures", st.failures},
              {"dead_letters", st.dead_letters},
              {"dropped", st.dropped},
              {"last_ms", st.last_ms},
              {"last_error", st.last_error}}}};
  if (t.kind == fn::trigger_spec::source::mqtt) {
    j["topic"] = t.topic;
    j["output"] = t.output.empty() ? json(nullptr) : json(t.output);
    return j;
  }
  json ops = json::array();
  if (t.on_put)
    ops.push_back("PUT");
  if (t.on_delete)
    ops.push_back("DELETE");
  j["collection"] = t.collection;
  j["operations"] = std::move(ops);
  j["key_prefix"] = t.key_prefix;
  j["checkpoint"] = t.checkpoint;
  j["lag"] = tip > t.checkpoint ? tip - t.checkpoint : 0;
  return j;
}

/// The trigger a request body asks for, or the reason it is refused.
std::string spec_of(const json& body, uint64_t tip,
                    const fn::function_registry::mqtt_hooks& broker,
                    fn::trigger_spec& t) {
  if (!body.is_object())
    return "the body must be a JSON object";
  bool change = body.contains("collection"), mqtt = body.contains("topic");
  if (change == mqtt)
    return "give either collection (a change trigger) or topic (an MQTT "
           "trigger)";
  auto text = [&](const char* k, std::string& out) {
    if (!body.contains(k))
      return true;
    if (!body[k].is_string())
      return false;
    out = body[k].get<std::string>();
    return true;
  };
  if (mqtt) {
    t.kind = fn::trigger_spec::source::mqtt;
    if (!broker.valid_filter)
      return "MQTT triggers need the MQTT broker";
    // a filter a client could subscribe with; `$` topics are the server's
    if (!text("topic", t.topic) || t.topic.size() > 256 ||
        !broker.valid_filter(t.topic) || t.topic[0] == '$' ||
        t.topic.find('\0') != std::string::npos)
      return "topic must be an MQTT topic filter (not a $ topic, at most 256 "
             "bytes)";
    if (!text("output", t.output) ||
        (!t.output.empty() && !engine::valid_collection_name(t.output)))
      return "output must be a collection name";
    return {};
  }
  if (!text("collection", t.collection) ||
      !engine::valid_collection_name(t.collection))
    return "collection must be a collection name";
  // its failures would feed it: a loop of dead letters
  if (t.collection == dead_letter_collection)
    return std::string("a trigger cannot watch ") + dead_letter_collection;
  if (!text("key_prefix", t.key_prefix) || t.key_prefix.size() > 256)
    return "key_prefix must be a string of at most 256 bytes";
  if (body.contains("operations")) {
    auto& ops = body["operations"];
    if (!ops.is_array() || ops.empty())
      return "operations must be a non-empty array of PUT and DELETE";
    t.on_put = t.on_delete = false;
    for (auto& o : ops) {
      if (o == "PUT")
        t.on_put = true;
      else if (o == "DELETE")
        t.on_delete = true;
      else
        return "operations must be a non-empty array of PUT and DELETE";
    }
  }
  t.checkpoint = tip; // changes committed from now on
  if (body.contains("after_sequence")) {
    auto& a = body["after_sequence"];
    if (!a.is_number_unsigned() || a.get<uint64_t>() > tip)
      return "after_sequence must be a sequence up to the log's last (" +
             std::to_string(tip) + ")";
    t.checkpoint = a.get<uint64_t>();
  }
  return {};
}

} // namespace

void function_trigger_create(route_context& ctx) {
  auto f = function_of(ctx);
  if (!f)
    return;
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  fn::trigger_spec t;
  auto tip = ctx.env.reader.last_sequence();
  if (auto why = spec_of(body, tip, ctx.env.functions->mqtt(), t); !why.empty())
    return ctx.respond(error_response(400, why));
  auto& who = ctx.req.who;
  t.tenant = who.tenant;
  t.function = f->id;
  t.user = who.user;
  t.via = who.via;
  t.scopes = who.scopes;
  t.created_ms = unix_now_ms();
  std::string error;
  t.id = ctx.env.functions->triggers().create(t, error);
  if (t.id.empty())
    return ctx.respond(error_response(409, error));
  audit_event_of(ctx, "function.trigger", "ok",
                 "function " + f->id + " trigger " + t.id);
  auto resp = json_response(201, dump(render(t, tip, {})));
  resp.set_header("Location",
                  "/api/v1/functions/" + f->id + "/triggers/" + t.id);
  ctx.respond(std::move(resp));
}

void function_trigger_list(route_context& ctx) {
  auto f = function_of(ctx);
  if (!f)
    return;
  auto tip = ctx.env.reader.last_sequence();
  json items = json::array();
  auto& store = ctx.env.functions->triggers();
  for (auto& t : store.list(f->tenant, f->id))
    items.push_back(render(t, tip, store.stats(t.id)));
  ctx.respond(json_response(200, dump({{"triggers", std::move(items)}})));
}

void function_trigger_delete(route_context& ctx) {
  auto f = function_of(ctx);
  if (!f)
    return;
  if (!ctx.env.functions->triggers().remove(f->tenant, f->id, ctx.params[1]))
    return ctx.respond(
      error_response(404, "trigger not found: " + ctx.params[1]));
  audit_event_of(ctx, "function.trigger", "deleted",
                 "function " + f->id + " trigger " + ctx.params[1]);
  api_response r;
  r.status = 204;
  ctx.respond(std::move(r));
}

void register_function_trigger_routes(route_registry& reg) {
  reg.add("/api/v1/functions/{id}/triggers", {"functions"})
    .get(function_trigger_list, "The function's triggers and checkpoints")
    .scope("data:read")
    .errors({404})
    .post(function_trigger_create,
          "Bind the function to committed changes or MQTT messages")
    .describe("Body: {collection, operations?, key_prefix?, after_sequence?} "
              "or {topic, output?} (docs/functions.md)")
    .scope("data:write")
    .response({{"type", "object"}}, 201)
    .errors({400, 404, 409});
  reg.add("/api/v1/functions/{id}/triggers/{trigger}", {"functions"})
    .del(function_trigger_delete, "Delete a trigger")
    .scope("data:write")
    .errors({404});
}

} // namespace themis
