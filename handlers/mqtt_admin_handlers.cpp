/// GET /api/v1/mqtt: mqtt_admin_routes.hpp.

#include "handlers/admin_state.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mqtt_admin_routes.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

void mqtt_overview(route_context& ctx) {
  auto& who = ctx.req.who;
  if (!who.is_admin())
    return ctx.respond(error_response(
      403, "the MQTT overview needs the admin scope (a tenant's admin sees "
           "its tenant's clients)"));
  auto* st = ctx.env.admin;
  if (!st || !st->mqtt_overview)
    return ctx.respond(error_response(404, "no MQTT broker"));
  bool all = who.tenant.empty();
  if (auto ns = query_param(ctx.req.query, "namespace")) {
    if (*ns != "global" && *ns != "all")
      return ctx.respond(error_response(
        400, "'namespace' must be global or all (a global admin's choice)"));
    all = all && *ns == "all";
  }
  auto body = st->mqtt_overview(who.tenant, all);
  if (body.empty())
    return ctx.respond(error_response(404, "no MQTT broker"));
  ctx.respond(json_response(200, std::move(body)));
}

void register_mqtt_admin_routes(route_registry& reg) {
  reg.add("/api/v1/mqtt", {"admin"})
    .get(mqtt_overview, "MQTT sessions, subscriptions and retained messages")
    .describe("Read-only. Admin scope: a tenant's admin sees its tenant's "
              "namespace under its own names; a global admin every "
              "namespace under the broker's names ($tenants/<t>/…), or the "
              "global one with ?namespace=global. At most 1000 sessions and "
              "1000 retained messages (`truncated`); retained payloads cut "
              "at 256 bytes (null when not UTF-8).")
    .scope("authenticated")
    .errors({400, 403, 404});
}

} // namespace themis
