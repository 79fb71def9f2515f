#pragma once
/// /api/v1/functions (issue 27): upload, list, get, delete, invoke and
/// logs of a tenant's WebAssembly functions (docs/functions.md).

namespace themis {

namespace functions {
class function_registry;
}
struct route_context;
class route_registry;
class prometheus_text;

void function_upload(route_context& ctx); ///< PUT …/{id}/wasm
void function_list(route_context& ctx);
void function_get(route_context& ctx);
void function_delete(route_context& ctx);
void function_invoke(route_context& ctx); ///< POST …/{id}/invoke
/// /fn/{tenant}/{id}[/...] (any method) of a function bound at upload.
void function_route(route_context& ctx);
void function_logs(route_context& ctx);

void register_function_routes(route_registry& reg);

/// themis_function_* on /metrics: invocations by outcome, refusals,
/// running, seconds, functions stored.
void render_function_metrics(const functions::function_registry& reg,
                             prometheus_text& out);

} // namespace themis
