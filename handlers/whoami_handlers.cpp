/// GET /api/v1/whoami: whoami_routes.hpp.

#include "handlers/http_json.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/whoami_routes.hpp"

namespace themis {

void whoami(route_context& ctx) {
  auto& who = ctx.req.who;
  // X-Tenant-ID moved a global admin into a tenant: still a global admin
  auto* asked = ctx.req.header("X-Tenant-ID");
  bool acting = asked && !asked->empty() && who.is_admin();
  nlohmann::json body = {
    {"user", who.user},
    {"tenant", who.tenant},
    {"scopes", who.scopes},
    {"via", who.via},
    {"admin", who.is_admin()},
    {"global_admin", who.is_admin() && (who.tenant.empty() || acting)},
  };
  if (!who.key_id.empty())
    body["key_id"] = who.key_id;
  ctx.respond(json_response(200, dump(body)));
}

void register_whoami_routes(route_registry& reg) {
  reg.add("/api/v1/whoami", {"auth"})
    .get(whoami, "The caller's principal")
    .describe("user, tenant (X-Tenant-ID applied), scopes, via (jwt, "
              "api_key, anonymous …), admin, global_admin (may switch "
              "tenants with X-Tenant-ID), key_id for an API key.")
    .scope("authenticated");
}

} // namespace themis
