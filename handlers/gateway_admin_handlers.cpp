/// GET /api/v1/gateway/upstreams: gateway_admin_routes.hpp.

#include "handlers/admin_state.hpp"
#include "handlers/gateway_admin_routes.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

void gateway_upstreams(route_context& ctx) {
  auto& who = ctx.req.who;
  if (!who.is_admin() || !who.tenant.empty())
    return ctx.respond(error_response(
      403, "the gateway's upstreams need a global admin (admin scope, no "
           "tenant)"));
  auto* st = ctx.env.admin;
  if (!st || !st->gateway_upstreams)
    return ctx.respond(error_response(404, "no gateway"));
  ctx.respond(json_response(200, st->gateway_upstreams()));
}

void register_gateway_admin_routes(route_registry& reg) {
  reg.add("/api/v1/gateway/upstreams", {"admin"})
    .get(gateway_upstreams, "Gateway upstream clusters and endpoint health")
    .describe("Read-only. For each cluster of the gateway file: policy, "
              "counters (requests, failures, retries, ejections, breaker "
              "overflows, coalesced requests, timeouts) and each endpoint's "
              "health-check state, outlier ejection, requests in flight and "
              "latency window (avg, p99). Global admins only.")
    .scope("authenticated")
    .errors({403, 404});
}

} // namespace themis
