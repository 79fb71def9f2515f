#pragma once
/// GET /api/v1/mqtt (issue 29, docs/mqtt.md): the broker's sessions
/// (connected clients and kept sessions) with their subscriptions and
/// queues, and its retained messages — read-only, for the web console's
/// MQTT page. Admin scope: a tenant's admin sees its tenant's namespace
/// under its own names, a global admin every namespace (or only the
/// global one with ?namespace=global).

#include "handlers/route_context.hpp"

namespace themis {

class route_registry;

void mqtt_overview(route_context& ctx);

void register_mqtt_admin_routes(route_registry& reg);

} // namespace themis
