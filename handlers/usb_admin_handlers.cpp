/// /api/v1/auth/usb/… and /api/v1/admin/usb-keys: usb_admin_routes.hpp.

#include "auth/usb_admin/login_service.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/usb_admin_routes.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using auth::usb_admin::enrolled_key;
using auth::usb_admin::login_service;
using auth::usb_admin::usb_answer;
using json = nlohmann::json;

int64_t now_s() {
  return unix_now_ms() / 1000;
}

/// "10.0.0.1:5000" → "10.0.0.1", "::1:5000" → "::1": failures and
/// challenges are counted per client address, not per connection (a new
/// connection per attempt must not reset the count).
std::string client_of(const api_request& req) {
  auto colon = req.remote_addr.rfind(':');
  return colon == std::string::npos ? req.remote_addr
                                    : req.remote_addr.substr(0, colon);
}

/// The service, or a 404 (auth.usb_admin.enabled off) already sent.
login_service* usb_of(route_context& ctx) {
  if (!ctx.env.usb_admin)
    ctx.respond(error_response(404, "USB admin keys are not enabled "
                                    "(auth.usb_admin.enabled)"));
  return ctx.env.usb_admin;
}

void send(route_context& ctx, usb_answer a) {
  if (!a.audit_action.empty() && ctx.env.audit) {
    auto e = http_audit_event(ctx.req, a.audit_action, a.audit_outcome,
                              a.audit_detail);
    if (!a.audit_user.empty())
      e.user = a.audit_user;
    ctx.env.audit->append(std::move(e));
  }
  auto r = json_response(a.status, dump(a.body));
  r.set_header("Cache-Control", "no-store");
  if (a.retry_after_s)
    r.set_header("Retry-After", std::to_string(a.retry_after_s));
  ctx.respond(std::move(r));
}

/// The body as a JSON object, or a 400 already sent.
std::optional<json> object_body(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body)) {
    ctx.respond(std::move(*bad));
    return std::nullopt;
  }
  if (body.is_discarded() || !body.is_object()) {
    ctx.respond(error_response(400, "expected a JSON object"));
    return std::nullopt;
  }
  return body;
}

/// A login step: the JSON body to `step` of the service, its answer out.
void login_step(route_context& ctx,
                usb_answer (login_service::*step)(const json&,
                                                  const std::string&,
                                                  int64_t)) {
  auto* s = usb_of(ctx);
  if (!s)
    return;
  if (auto body = object_body(ctx))
    send(ctx, (s->*step)(*body, client_of(ctx.req), now_s()));
}

void usb_challenge(route_context& ctx) {
  login_step(ctx, &login_service::challenge);
}

void usb_login(route_context& ctx) {
  login_step(ctx, &login_service::login);
}

json key_json(const enrolled_key& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"type", k.type},
          {"created_ms", k.created_ms},
          {"public_key", k.public_pem}};
}

void usb_keys_list(route_context& ctx) {
  auto* s = usb_of(ctx);
  if (!s || !require_global_admin(ctx))
    return;
  std::string error;
  json arr = json::array();
  for (auto& k : s->keys().list(&error))
    arr.push_back(key_json(k));
  json out = {{"keys", arr}};
  if (!error.empty())
    out["warning"] = error;
  ctx.respond(json_response(200, dump(out)));
}

void usb_keys_enroll(route_context& ctx) {
  auto* s = usb_of(ctx);
  if (!s || !require_global_admin(ctx))
    return;
  auto body = object_body(ctx);
  if (!body)
    return;
  auto str = [&](const char* f) {
    return body->contains(f) && (*body)[f].is_string()
             ? (*body)[f].get<std::string>()
             : std::string();
  };
  auto pem = str("public_key");
  auto name = str("name");
  // fsync of the key file: off the actor
  ctx.work.run_blocking(
    [s, pem, name, env = &ctx.env, req = ctx.req](blocking_writer&) {
      enrolled_key k;
      std::string error;
      int status = 0;
      bool ok = s->keys().add(pem, name, unix_now_ms(), k, error, status);
      if (env->audit)
        env->audit->append(
          http_audit_event(req, "usb_admin.enroll", ok ? "ok" : "failed",
                           ok ? "key " + k.id + " as " + k.name : error));
      return ok ? json_response(201, dump(key_json(k)))
                : error_response(status, error);
    },
    ctx.respond);
}

void usb_keys_delete(route_context& ctx) {
  auto* s = usb_of(ctx);
  if (!s || !require_global_admin(ctx))
    return;
  ctx.work.run_blocking(
    [s, id = ctx.params.at(0), env = &ctx.env,
     req = ctx.req](blocking_writer&) {
      enrolled_key k;
      std::string error;
      bool ok = s->keys().remove(id, k, error);
      if (!ok)
        return error_response(error.empty() ? 404 : 500,
                              error.empty() ? "no such USB admin key" : error);
      if (env->audit)
        env->audit->append(http_audit_event(
          req, "usb_admin.remove", "ok", "key " + k.id + " (" + k.name + ")"));
      return json_response(200, dump(key_json(k)));
    },
    ctx.respond);
}

} // namespace

void register_usb_admin_routes(route_registry& reg) {
  reg.add("/api/v1/auth/usb/challenge", {"usb_admin"})
    .post(usb_challenge, "USB admin login, step 1: a single-use nonce for an "
                         "enrolled key")
    .errors({400, 401, 404, 429})
    .scope("");
  reg.add("/api/v1/auth/usb/login", {"usb_admin"})
    .post(usb_login, "USB admin login, step 2: the signed nonce for a "
                     "short-lived admin token")
    .errors({400, 401, 403, 404, 429})
    .scope("");
  // the gate (and Ranger) require admin; the handlers the global admin
  reg.add("/api/v1/admin/usb-keys", {"admin"})
    .get(usb_keys_list, "Enrolled USB admin keys")
    .errors({403, 404})
    .scope("admin")
    .post(usb_keys_enroll, "Enroll a USB admin public key (PEM, Ed25519 or "
                           "P-256)")
    .errors({400, 403, 404, 409, 507})
    .scope("admin");
  reg.add("/api/v1/admin/usb-keys/{id}", {"admin"})
    .del(usb_keys_delete, "Remove a USB admin key (by id or name); its tokens "
                          "stop working at once")
    .errors({403, 404})
    .scope("admin");
}

} // namespace themis
