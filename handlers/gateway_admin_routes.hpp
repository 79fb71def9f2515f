#pragma once
/// GET /api/v1/gateway/upstreams (issue 23, docs/gateway.md): the
/// gateway's upstream clusters with each endpoint's health, ejection,
/// load and latency, and the cluster counters. Global admins only: the
/// gateway is the server's, not a tenant's.

#include "handlers/route_context.hpp"

namespace themis {

class route_registry;

void gateway_upstreams(route_context& ctx);

void register_gateway_admin_routes(route_registry& reg);

} // namespace themis
