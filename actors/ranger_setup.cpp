#include "actors/ranger_setup.hpp"

#include <cstdio>
#include <filesystem>

#include "actors/server_context.hpp"

namespace themis {

int start_ranger(server_context& ctx) {
  auto& a = ctx.config.auth;
  if (a.ranger_url.empty() && a.ranger_file.empty())
    return 0;
  if (a.ranger_unmatched != "deny" && a.ranger_unmatched != "scopes") {
    std::fprintf(stderr, "themisd: config error: auth.ranger.unmatched is "
                         "deny or scopes\n");
    return 2;
  }
  if (a.ranger_service.empty()) {
    std::fprintf(stderr, "themisd: config error: auth.ranger.service is "
                         "empty\n");
    return 2;
  }
  auth::ranger::enforcer_settings es;
  es.service = a.ranger_service;
  es.audit_file = a.ranger_audit_file;
  es.fallback_to_scopes = a.ranger_unmatched == "scopes";
  ctx.ranger = std::make_shared<auth::ranger::ranger_enforcer>(es);
  auth::ranger::poller_settings ps;
  ps.url = a.ranger_url;
  ps.service = a.ranger_service;
  ps.file = a.ranger_file;
  ps.poll_s = a.ranger_poll_s;
  ps.ca_file = a.ranger_ca_file;
  ps.cache_file =
    (std::filesystem::path(ctx.config.engine.data_dir) / "ranger-policies.json")
      .string();
  ctx.ranger_poller =
    std::make_unique<auth::ranger::ranger_poller>(ps, ctx.ranger);
  ctx.ranger_poller->start();
  if (!ctx.ranger->policies())
    std::fprintf(stderr,
                 "themisd: warning: no Ranger policies yet (Ranger Admin "
                 "down and no cache): every Ranger-checked access is %s\n",
                 es.fallback_to_scopes ? "left to scopes" : "denied");
  return 0;
}

} // namespace themis
