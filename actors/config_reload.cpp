#include "actors/config_reload.hpp"

#include <fstream>
#include <iterator>
#include <spdlog/spdlog.h>

#include "actors/gateway_hub.hpp"
#include "actors/server_context.hpp"
#include "actors/tls_setup.hpp"
#include "config/config_loader.hpp"
#include "limits/tenant_quotas.hpp"

namespace themis {

// defined in server.cpp
std::shared_ptr<const limits::limiter_config>
limiter_config_of(const rate_limiting_section& rl);

namespace {

/// Keys a reload applies. Everything else that changed is reported as
/// needing a restart (ports, the data directory, thread counts, …).
bool reloadable(const std::string& key) {
  static const char* const exact[] = {"mqtt.users",
                                      "mqtt.acl",
                                      "mqtt.acl_file",
                                      "mqtt.allow_anonymous",
                                      "pg.users",
                                      "auth.principals",
                                      "auth.tenant_quotas",
                                      "log.level",
                                      "log.access",
                                      "log.access_format",
                                      "tls.cert",
                                      "tls.key",
                                      "tls.sni",
                                      "tls.min_version",
                                      "tls.ciphersuites",
                                      "tls.ciphers",
                                      "tls.client_ca",
                                      "tls.client_auth",
                                      "gateway.file"};
  for (auto k : exact)
    if (key == k)
      return true;
  // issue 25: the backend and its Redis link are chosen at start
  if (key == "rate_limiting.backend" ||
      key.rfind("rate_limiting.redis.", 0) == 0)
    return false;
  return key.rfind("cors.", 0) == 0 || key.rfind("rate_limiting.", 0) == 0;
}

/// mqtt.acl and mqtt.acl_file's contents, parsed.
std::optional<std::string> read_acl(const server_config& cfg, std::string& text,
                                    mqtt::acl& out) {
  text = cfg.mqtt.acl;
  if (!cfg.mqtt.acl_file.empty()) {
    std::ifstream f(cfg.mqtt.acl_file);
    if (!f)
      return "mqtt.acl_file: cannot read " + cfg.mqtt.acl_file;
    // line numbers in errors count from the file's first line when it is
    // the only source
    text += (text.empty() ? "" : "\n") +
            std::string(std::istreambuf_iterator<char>(f), {});
  }
  std::string error;
  auto acl = mqtt::acl::parse(text, error);
  if (!acl)
    return (cfg.mqtt.acl_file.empty()
              ? "mqtt.acl: "
              : "mqtt.acl / mqtt.acl_file (" + cfg.mqtt.acl_file + "): ") +
           error;
  out = std::move(*acl);
  return std::nullopt;
}

bool tls_changed(const tls_section& a, const tls_section& b) {
  return a.cert != b.cert || a.key != b.key || a.sni != b.sni ||
         a.min_version != b.min_version || a.ciphersuites != b.ciphersuites ||
         a.ciphers != b.ciphers || a.client_ca != b.client_ca ||
         a.client_auth != b.client_auth;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

} // namespace

std::optional<std::string> start_live_config(server_context& ctx,
                                             const server_config& cfg) {
  auto live = std::make_shared<live_settings>();
  live->config = cfg;
  if (auto err = read_acl(cfg, live->mqtt_acl_text, live->mqtt_acl))
    return err;
  ctx.live.set(std::move(live));
  return std::nullopt;
}

reload_report apply_reload(server_context& ctx, const server_config& fresh) {
  reload_report r;
  auto old = ctx.live.get();
  // 1. check everything before changing anything
  auto next = std::make_shared<live_settings>();
  next->config = fresh;
  if (auto err = read_acl(fresh, next->mqtt_acl_text, next->mqtt_acl))
    r.error = *err;
  std::map<std::string, limits::tenant_quota> quotas;
  if (r.error.empty())
    if (auto err =
          limits::tenant_quotas::parse(fresh.auth.tenant_quotas, quotas))
      r.error = *err;
  if (r.error.empty()) {
    // principals: parsed into a throwaway authenticator-free check
    for (auto& entry : fresh.auth.principals) {
      std::string user, tenant, error;
      std::vector<std::string> scopes;
      if (!auth::parse_principal_entry(entry, user, tenant, scopes, error)) {
        r.error = "auth.principals: " + error;
        break;
      }
    }
  }
  // issue 23: the gateway file is re-read (and checked) on every reload
  std::shared_ptr<const gateway::gateway_config> gateway_next;
  if (r.error.empty() && ctx.gateway)
    if (auto err = ctx.gateway->prepare(fresh.gateway.file, gateway_next))
      r.error = *err;
  auto keys = changed_keys(old->config, fresh);
  bool tls_on = static_cast<bool>(ctx.tls.current());
  if (r.error.empty() && tls_on) {
    // Certificates are re-read whether or not a key changed (a renewed
    // certificate keeps its path). The last check and the first change:
    // load_tls swaps only on success; new connections get the new ones.
    std::string terr;
    if (!load_tls(fresh.tls, ctx.tls, terr))
      r.error = "tls: " + terr;
  }
  if (!r.error.empty()) {
    spdlog::error("SIGHUP: configuration not reloaded (the running one "
                  "stays): {}",
                  r.error);
    return r;
  }
  // 2. apply
  std::string unused;
  if (ctx.authn)
    ctx.authn->set_principals(fresh.auth.principals, unused);
  if (ctx.quotas)
    ctx.quotas->replace(std::move(quotas));
  if (ctx.router)
    ctx.router->set_cors(fresh.cors);
  ctx.limiter.configure(limiter_config_of(fresh.rate_limiting));
  if (ctx.gateway && gateway_next) {
    ctx.gateway->install(gateway_next, fresh.gateway.file);
    if (!fresh.gateway.file.empty())
      r.changed.push_back("gateway.file (routes and clusters re-read)");
  }
  spdlog::info("SIGHUP: rate limits reloaded ({} rules, {})",
               fresh.rate_limiting.rules.size(),
               fresh.rate_limiting.enabled ? "enabled" : "disabled");
  if (tls_on)
    spdlog::info("SIGHUP: TLS certificates reloaded");
  bool acl_changed = next->mqtt_acl_text != old->mqtt_acl_text;
  ctx.live.set(std::move(next));
  r.applied = true;
  for (auto& k : keys)
    (reloadable(k) ? r.changed : r.restart).push_back(k);
  if (acl_changed && std::find(r.changed.begin(), r.changed.end(),
                               "mqtt.acl_file") == r.changed.end())
    r.changed.push_back("mqtt.acl_file (contents)");
  if (!tls_on && tls_changed(old->config.tls, fresh.tls))
    for (auto& k : r.changed)
      if (k.rfind("tls.", 0) == 0) {
        r.restart.push_back(k + " (TLS was off at start)");
        k.clear();
      }
  r.changed.erase(std::remove(r.changed.begin(), r.changed.end(), ""),
                  r.changed.end());
  if (r.changed.empty())
    spdlog::info("SIGHUP: configuration reloaded; nothing changed");
  else
    spdlog::info("SIGHUP: configuration reloaded; changed: {}",
                 join(r.changed));
  if (!r.restart.empty())
    spdlog::warn("SIGHUP: changed but applied only after a restart: {}",
                 join(r.restart));
  return r;
}

} // namespace themis
