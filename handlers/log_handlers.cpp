/// GET/PUT /api/v1/admin/log-level: change what the server logs without a
/// restart (SIGHUP re-reads log.* from the file as well).

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/server_log.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

json current() {
  return {{"level", server_log::level()},
          {"access", server_log::access_enabled()},
          {"access_format", server_log::access_format()}};
}

} // namespace

void log_level_get(route_context& ctx) {
  if (!require_global_admin(ctx))
    return;
  ctx.respond(json_response(200, current().dump()));
}

void log_level_put(route_context& ctx) {
  if (!require_global_admin(ctx))
    return;
  auto body = json::parse(ctx.req.body, nullptr, false);
  if (!body.is_object())
    return ctx.respond(
      error_response(400, R"(expected {"level": "debug"} and/or {"access": )"
                          R"(true|false})"));
  auto level = body.find("level");
  auto access = body.find("access");
  if (level == body.end() && access == body.end())
    return ctx.respond(error_response(400, "nothing to change: give "
                                           "\"level\" or \"access\""));
  if (access != body.end() && !access->is_boolean())
    return ctx.respond(error_response(400, "\"access\" must be true or false"));
  if (level != body.end() &&
      (!level->is_string() ||
       !server_log::set_level(level->get<std::string>())))
    return ctx.respond(
      error_response(400, "\"level\" must be one of trace, debug, info, "
                          "warn, error, critical, off"));
  if (access != body.end())
    server_log::set_access(access->get<bool>());
  auto now = current();
  spdlog::info("log level {} and access log {} (set by {} over the admin API)",
               now["level"].get<std::string>(),
               now["access"].get<bool>() ? "on" : "off", ctx.req.who.display());
  ctx.respond(json_response(200, now.dump()));
}

} // namespace themis
