#pragma once
/// GET /api/v1/whoami (issue 29): the caller's principal as the server
/// sees it — user, tenant (after X-Tenant-ID), scopes, how it was proven —
/// so a client (the web console) can show who it is signed in as and
/// offer a tenant switch only to a global admin. Never a secret.

#include "handlers/route_context.hpp"

namespace themis {

class route_registry;

void whoami(route_context& ctx);

void register_whoami_routes(route_registry& reg);

} // namespace themis
