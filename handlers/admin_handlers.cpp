/// API key administration (issue 9) on ThemisDB's path /api/keys (its
/// request and response shapes, issue 34) and themisd's own /api/v1/keys.
/// A global admin manages every tenant's keys; a tenant's admin only its
/// own tenant's. The audit helpers every handler uses live here too.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "engine/security/api_key_store.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/cluster_admin.hpp"
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

/// ThemisDB's timestamp, `YYYY-MM-DDTHH:MM:SSZ`.
std::string iso_seconds(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// themisd's record plus ThemisDB's fields (`permissions`, `created_at`,
/// `expires_at` when set): added, nothing renamed.
json render_compat(const engine::api_key_record& r) {
  auto j = render(r);
  j["permissions"] = r.scopes;
  j["created_at"] = iso_seconds(r.created_ms);
  if (r.expires_ms)
    j["expires_at"] = iso_seconds(r.expires_ms);
  return j;
}

/// /api/v1/keys: themisd's own shapes; /api/keys: ThemisDB's.
bool own_path(const route_context& ctx) {
  return ctx.req.path.rfind("/api/v1/", 0) == 0;
}

/// Reads `scopes` (themisd) or `permissions` (ThemisDB) into `out`; on a
/// bad list answers 400 and returns false. ThemisDB's `admin:all` is
/// themisd's `admin`.
bool read_scopes(route_context& ctx, const json& body, bool may_be_empty,
                 std::vector<std::string>& out) {
  const char* field = body.contains("scopes") ? "scopes" : "permissions";
  if (!body.contains(field) || body[field].is_null()) {
    if (may_be_empty)
      return true;
    ctx.respond(error_response(400, "scopes must be a non-empty array, e.g. "
                                    "[\"data:read\", \"query\"]"));
    return false;
  }
  auto& v = body[field];
  if (!v.is_array() ||
      (v.empty() && !(may_be_empty && std::string(field) == "permissions"))) {
    ctx.respond(error_response(400, std::string(field) +
                                      " must be a non-empty array, e.g. "
                                      "[\"data:read\", \"query\"]"));
    return false;
  }
  for (auto& s : v) {
    auto name = s.is_string() ? s.get<std::string>() : std::string();
    if (name == "admin:all")
      name = "admin";
    if (!known_scopes().count(name)) {
      ctx.respond(error_response(
        400, "unknown scope " + s.dump() +
               " (data:read, data:write, query, jobs, cdc:read, admin)"));
      return false;
    }
    if (std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(name);
  }
  return true;
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

/// The key `id` if this admin may manage it (and, on ThemisDB's path, it
/// is not revoked: there a revoked key is a deleted one); else 404 sent.
std::optional<engine::api_key_record> visible_key(route_context& ctx,
                                                  const std::string& id) {
  auto r = ctx.env.api_keys->get(id);
  if (!r || !(global_admin(ctx.req.who) || r->tenant == ctx.req.who.tenant) ||
      (!own_path(ctx) && r->revoked_ms != 0)) {
    ctx.respond(error_response(404, "API key not found: " + id));
    return std::nullopt;
  }
  return r;
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

/// issue 25: a clustered node hands the key's record (its digest, never
/// the secret) to every node through etcd before it answers, so the key
/// works on every node once its creator has it. etcd unreachable: the
/// key works here only; the answer says so (`X-Themis-Replicated: false`).
void answer_replicated(route_context& ctx, const engine::api_key_record& r,
                       api_response resp) {
  auto c = ctx.env.admin ? ctx.env.admin->cluster : nullptr;
  if (!c)
    return ctx.respond(std::move(resp));
  ctx.work.run_blocking(
    [c, r, resp = std::move(resp)](blocking_writer&) mutable {
      if (auto e = c->publish_api_key(r))
        resp.set_header("X-Themis-Replicated", "false");
      return std::move(resp);
    },
    ctx.respond);
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
  // ThemisDB's path takes `permissions` and may leave it out (a key with
  // no scopes can authenticate but do nothing); `scopes` is never empty
  if (!read_scopes(ctx, body, !own_path(ctx), r.scopes))
    return;
  auto now = unix_now_ms();
  if (body.contains("expires_in_s") && !body["expires_in_s"].is_null()) {
    auto& e = body["expires_in_s"];
    if (!e.is_number_unsigned() || e.get<uint64_t>() == 0 ||
        e.get<uint64_t>() > 10ull * 365 * 86400)
      return ctx.respond(error_response(
        400, "expires_in_s must be an integer in [1, 315360000]"));
    r.expires_ms = now + static_cast<int64_t>(e.get<uint64_t>()) * 1000;
  } else if (body.contains("expires_in_days") &&
             !body["expires_in_days"].is_null()) {
    // ThemisDB: days, and 0 or less means never
    auto& e = body["expires_in_days"];
    if (!e.is_number_integer() || e.get<int64_t>() > 3650)
      return ctx.respond(error_response(
        400, "expires_in_days must be an integer of at most 3650"));
    if (e.get<int64_t>() > 0)
      r.expires_ms = now + e.get<int64_t>() * 86400 * 1000;
  }
  r.created_by = who.display();
  std::string token;
  auto saved = ctx.env.api_keys->create(std::move(r), token, now);
  audit_event_of(ctx, "key.create", "ok",
                 "key " + saved.id + " for " + saved.user +
                   (saved.tenant.empty() ? "" : "@" + saved.tenant));
  auto out = own_path(ctx) ? render(saved) : render_compat(saved);
  out["token"] = token; // shown once: only the digest is stored
  if (!own_path(ctx))
    out["secret"] = token; // ThemisDB's name for it
  auto resp = json_response(201, dump(out));
  resp.set_header("Location",
                  (own_path(ctx) ? "/api/v1/keys/" : "/api/keys/") + saved.id);
  resp.set_header("Cache-Control", "no-store");
  answer_replicated(ctx, saved, std::move(resp));
}

void keys_list(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto& who = ctx.req.who;
  json all = json::array(), items = json::array();
  for (auto& r : ctx.env.api_keys->list(who.tenant, global_admin(who))) {
    all.push_back(render(r));
    if (r.revoked_ms == 0)
      items.push_back(render_compat(r));
  }
  if (own_path(ctx))
    return ctx.respond(json_response(200, dump({{"keys", all}})));
  // ThemisDB's list (live keys) beside themisd's (every key, revoked ones
  // too) for clients written against either
  auto total = items.size();
  ctx.respond(json_response(
    200, dump({{"items", std::move(items)}, {"total", total}, {"keys", all}})));
}

void keys_get(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  if (auto r = visible_key(ctx, ctx.params[0]))
    ctx.respond(
      json_response(200, dump(own_path(ctx) ? render(*r) : render_compat(*r))));
}

void keys_update(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto& id = ctx.params[0];
  json body = json::object();
  if (!ctx.req.body.empty()) {
    if (auto bad = parse_json_body(ctx.req.body, body))
      return ctx.respond(std::move(*bad));
    if (body.is_discarded() || !body.is_object())
      return ctx.respond(error_response(400, "Invalid JSON body"));
  }
  std::optional<std::string> name;
  if (body.contains("name") && !body["name"].is_null()) {
    if (!body["name"].is_string() ||
        body["name"].get<std::string>().size() > 128)
      return ctx.respond(
        error_response(400, "name must be a string of at most 128"));
    if (!body["name"].get<std::string>().empty()) // ThemisDB ignores ""
      name = body["name"].get<std::string>();
  }
  std::optional<std::vector<std::string>> scopes;
  if ((body.contains("scopes") && !body["scopes"].is_null()) ||
      (body.contains("permissions") && !body["permissions"].is_null())) {
    scopes.emplace();
    if (!read_scopes(ctx, body, !own_path(ctx), *scopes))
      return;
  }
  auto before = visible_key(ctx, id);
  if (!before)
    return;
  // as at creation, a tenant's admin may give its own tenant's keys any
  // scope: admin of that tenant is already the most there is
  auto after = ctx.env.api_keys->update(id, name, scopes);
  if (!after)
    return ctx.respond(error_response(404, "API key not found: " + id));
  std::string what = "key " + id;
  if (name)
    what += " name " + *name;
  if (scopes) {
    what += " scopes";
    for (auto& sc : *scopes)
      what += " " + sc;
  }
  audit_event_of(ctx, "key.update", "ok", what);
  answer_replicated(
    ctx, *after,
    json_response(
      200, dump(own_path(ctx) ? render(*after) : render_compat(*after))));
}

void keys_revoke(route_context& ctx) {
  if (!keys_enabled(ctx) || !require_admin(ctx))
    return;
  auto& id = ctx.params[0];
  if (!visible_key(ctx, id))
    return;
  if (!ctx.env.api_keys->revoke(id, unix_now_ms()))
    return ctx.respond(error_response(
      own_path(ctx) ? 409 : 404,
      (own_path(ctx) ? "API key already revoked: " : "API key not found: ") +
        id));
  audit_event_of(ctx, "key.revoke", "ok", "key " + id);
  auto after = ctx.env.api_keys->get(id);
  // ThemisDB: {"id","success":true}; themisd's record fields beside
  auto out = render(*after);
  if (!own_path(ctx))
    out["success"] = true;
  answer_replicated(ctx, *after, json_response(200, dump(out)));
}

} // namespace themis
