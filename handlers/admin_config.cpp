/// GET /api/v1/admin/config (issue 22): the effective configuration with
/// secrets redacted (config/config_json.hpp), for the global admin only —
/// a tenant's admin learns nothing about the server it shares.

#include "handlers/admin_state.hpp"
#include "handlers/breadth_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

void admin_config(route_context& ctx) {
  if (!require_global_admin(ctx))
    return;
  if (!ctx.env.admin || !ctx.env.admin->config)
    return ctx.respond(
      error_response(404, "no operator routes on this server"));
  ctx.respond(json_response(200, ctx.env.admin->config()));
}

} // namespace themis
