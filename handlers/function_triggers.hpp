#pragma once
/// /api/v1/functions/{id}/triggers[/{trigger}] (issue 27): a function's
/// change-feed and MQTT triggers (docs/functions.md, "Triggers").

namespace themis {

struct route_context;
class route_registry;

void function_trigger_create(route_context& ctx);
void function_trigger_list(route_context& ctx);
void function_trigger_delete(route_context& ctx);

void register_function_trigger_routes(route_registry& reg);

} // namespace themis
