/// /api/keys (API key administration) and /api/audit (the audit log):
/// issue 9. A global admin manages every tenant's keys and reads every
/// audit record; a tenant's admin only its own tenant's.

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/security/api_key_store.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Scopes a key may carry.
const std::set<std::string>& known_scopes() {
  static const std::set<std::string> s = {"data:read", "data:write", "query",
                                          "jobs",      "cdc:read",   "admin"};
  return s;
}

json render(const engine::api_key_record& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"user", r.user},
          {"tenant", r.tenant.empty() ? json(nullptr) : json(r.tenant)},
          {"scopes", r.scopes},
          {"created_ms", r.created_ms},
          {"expires_ms", r.expires_ms ? json(r.expires_ms) : json(nullptr)},
          {"revoked_ms", r.revoked_ms ? json(r.revoked_ms) : json(nullptr)},
          {"created_by", r.created_by}};
}

/// Admin of the whole server (global) or of its own tenant; answers 403
/// and returns false otherwise.
bool require_admin(route_context& ctx) {
  if (ctx.req.who.is_admin())
    return true;
  auto r = error_response(403, "this needs the admin scope");
  r.set_header("WWW-Authenticate", "Bearer realm=\"themis\", "
                                   "error=\"insufficient_scope\", "
                                   "scope=\"admin\"");
  ctx.respond(std::move(r));
  return false;
}

bool keys_enabled(route_context& ctx) {
  if (ctx.env.api_keys)
    return true;
  ctx.respond(error_response(404, "API keys are off (auth.api_keys: false)"));
  return false;
}

bool global_admin(const principal& p) {
  return p.tenant.empty() && p.is_admin();
}

} // namespace

std::function<void()> audit_on_success(route_context& ctx, std::string action,
                                       std::string detail) {
  auto* log = ctx.env.audit;
  if (!log)
    return [] {};
  return [log, e = http_audit_event(ctx.req, std::move(action), "ok",
                                    std::move(detail))] { log->append(e); };
}

void audit_event_of(route_context& ctx, std::string action, std::string outcome,
                    std::string detail) {
  if (ctx.env.audit)
    ctx.env.audit->append(http_audit_event(
      ctx.req, std::move(action), std::move(outcome), std::move(detail)));
}

void keys_create(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "expected a JSON object"));
  engine::api_key_record r;
  auto str = [&](const char* k, std::string& out, size_t max) {
    if (!body.contains(k) || body[k].is_null())
      return true;
    if (!body[k].is_string() || body[k].get<std::string>().size() > max)
      return false;
    out = body[k].get<std::string>();
    return true;
  };
  if (!str("name", r.name, 128) || !str("user", r.user, 256) ||
      !str("tenant", r.tenant, 32))
    return ctx.respond(error_response(
      400, "name, user and tenant must be strings (at most 128, 256, 32)"));
  auto& who = ctx.req.who;
  if (r.user.empty())
    r.user = r.name.empty() ? who.user : r.name;
  if (!who.tenant.empty()) {
    // a tenant's admin mints keys for its own tenant only
    if (!r.tenant.empty() && r.tenant != who.tenant)
      return ctx.respond(error_response(
        403, "a tenant admin creates keys for its own tenant only"));
    r.tenant = who.tenant;
  } else if (!r.tenant.empty() && !valid_tenant_id(r.tenant)) {
    return ctx.respond(error_response(
      400, "tenant must be 1-32 of a-z, 0-9 and -, starting with a letter "
           "or digit"));
  }
  if (!body.contains("scopes") || !body["scopes"].is_array() ||
      body["scopes"].empty())
    return ctx.respond(error_response(400,
                                      "scopes must be a non-empty array, e.g. "
                                      "[\"data:read\", \"query\"]"));
  for (auto& s : body["scopes"]) {
    if (!s.is_string() || !known_scopes().count(s.get<std::string>()))
      return ctx.respond(error_response(
        400, "unknown scope " + s.dump() +
               " (data:read, data:write, query, jobs, cdc:read, admin)"));
    r.scopes.push_back(s.get<std::string>());
  }
  auto now = unix_now_ms();
  if (body.contains("expires_in_s") && !body["expires_in_s"].is_null()) {
    auto& e = body["expires_in_s"];
    if (!e.is_number_unsigned() || e.get<uint64_t>() == 0 ||
        e.get<uint64_t>() > 10ull * 365 * 86400)
      return ctx.respond(error_response(
        400, "expires_in_s must be an integer in [1, 315360000]"));
    r.expires_ms = now + static_cast<int64_t>(e.get<uint64_t>()) * 1000;
  }
  r.created_by = who.display();
  std::string token;
  auto saved = ctx.env.api_keys->create(std::move(r), token, now);
  audit_event_of(ctx, "key.create", "ok",
                 "key " + saved.id + " for " + saved.user +
                   (saved.tenant.empty() ? "" : "@" + saved.tenant));
  auto out = render(saved);
  out["token"] = token; // shown once: only the digest is stored
  auto resp = json_response(201, dump(out));
  resp.set_header("Location", "/api/keys/" + saved.id);
  resp.set_header("Cache-Control", "no-store");
  ctx.respond(std::move(resp));
}

void keys_list(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto& who = ctx.req.who;
  json arr = json::array();
  for (auto& r : ctx.env.api_keys->list(who.tenant, global_admin(who)))
    arr.push_back(render(r));
  ctx.respond(json_response(200, dump({{"keys", arr}})));
}

void keys_get(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto r = ctx.env.api_keys->get(ctx.params[0]);
  if (!r || !(global_admin(ctx.req.who) || r->tenant == ctx.req.who.tenant))
    return ctx.respond(
      error_response(404, "API key not found: " + ctx.params[0]));
  ctx.respond(json_response(200, dump(render(*r))));
}

void keys_revoke(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto& id = ctx.params[0];
  auto r = ctx.env.api_keys->get(id);
  if (!r || !(global_admin(ctx.req.who) || r->tenant == ctx.req.who.tenant))
    return ctx.respond(error_response(404, "API key not found: " + id));
  if (!ctx.env.api_keys->revoke(id, unix_now_ms()))
    return ctx.respond(error_response(409, "API key already revoked: " + id));
  audit_event_of(ctx, "key.revoke", "ok", "key " + id);
  auto after = ctx.env.api_keys->get(id);
  ctx.respond(json_response(200, dump(render(*after))));
}

} // namespace themis
