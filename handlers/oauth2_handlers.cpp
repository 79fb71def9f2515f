/// /api/v1/auth/… and /.well-known/…: oauth2_routes.hpp. Endpoints that
/// check a password or a client secret (PBKDF2) run on a worker thread.

#include "auth/oauth2/provider.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/auth_answer.hpp"
#include "handlers/http_json.hpp"
#include "handlers/oauth2_routes.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using auth::oauth2::answer;
using auth::oauth2::provider;

int64_t now_s() {
  return unix_now_ms() / 1000;
}

/// The provider, or a 404 (oauth2.enabled off) already sent.
provider* oauth2_of(route_context& ctx) {
  if (!ctx.env.oauth2)
    ctx.respond(error_response(404, "the OAuth2 provider is not enabled "
                                    "(oauth2.enabled)"));
  return ctx.env.oauth2;
}

std::string issuer_of(const provider& p, const api_request& req) {
  auto* proto = req.header("X-Forwarded-Proto");
  return p.issuer_for(req.header("Host"), proto && *proto == "https");
}

/// The form body of a POST (RFC 6749 §3.2); an error answer when it is
/// not one.
std::optional<answer> form_body(const api_request& req,
                                auth::oauth2::form_map& out) {
  if (!has_content_type(req, "application/x-www-form-urlencoded"))
    return auth::oauth2::oauth_error(
      400, "invalid_request",
      "the body must be application/x-www-form-urlencoded");
  auto f = auth::oauth2::parse_form(req.body);
  if (!f.ok)
    return auth::oauth2::oauth_error(400, "invalid_request", f.error);
  out = std::move(f.params);
  return std::nullopt;
}

void metadata(route_context& ctx, bool openid) {
  if (auto* p = oauth2_of(ctx)) {
    auto r =
      json_response(200, dump(p->metadata(issuer_of(*p, ctx.req), openid)));
    r.set_header("Cache-Control", "public, max-age=300");
    ctx.respond(std::move(r));
  }
}

void openid_configuration(route_context& ctx) {
  metadata(ctx, true);
}

void oauth_metadata(route_context& ctx) {
  metadata(ctx, false);
}

void jwks_get(route_context& ctx) {
  if (auto* p = oauth2_of(ctx)) {
    auto r = json_response(200, dump(p->jwks()));
    r.set_header("Content-Type", "application/jwk-set+json");
    r.set_header("Cache-Control", "public, max-age=300");
    ctx.respond(std::move(r));
  }
}

void authorize_get(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (!p)
    return;
  auto q = auth::oauth2::parse_form(ctx.req.query);
  if (!q.ok) {
    api_response r;
    r.status = 400;
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    r.body = "malformed authorization request: " + q.error + "\n";
    return ctx.respond(std::move(r));
  }
  ctx.respond(answer_response(
    p->authorize_get(q.params, issuer_of(*p, ctx.req), now_s())));
}

/// Runs `fn(provider, form, authorization header, cookie, issuer)` on a
/// worker thread after decoding the form body.
template <class Fn>
void blocking_form(route_context& ctx, Fn fn) {
  auto* p = oauth2_of(ctx);
  if (!p)
    return;
  auth::oauth2::form_map form;
  if (auto bad = form_body(ctx.req, form))
    return ctx.respond(answer_response(std::move(*bad)));
  // the worker keeps a copy of the request for the audit record
  ctx.work.run_blocking(
    [p, fn, env = &ctx.env, req = ctx.req, form = std::move(form),
     iss = issuer_of(*p, ctx.req)](blocking_writer&) {
      auto a =
        fn(*p, form, req.header("Authorization"), req.header("Cookie"), iss);
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

void authorize_post(route_context& ctx) {
  blocking_form(ctx,
                [](provider& p, auto& form, auto*, auto* cookie, auto& iss) {
                  return p.authorize_post(form, cookie, iss, now_s());
                });
}

void token_post(route_context& ctx) {
  blocking_form(ctx,
                [](provider& p, auto& form, auto* authz, auto*, auto& iss) {
                  return p.token(form, authz, iss, now_s());
                });
}

void introspect_post(route_context& ctx) {
  blocking_form(ctx,
                [](provider& p, auto& form, auto* authz, auto*, auto& iss) {
                  return p.introspect(form, authz, iss, now_s());
                });
}

void revoke_post(route_context& ctx) {
  blocking_form(ctx,
                [](provider& p, auto& form, auto* authz, auto*, auto& iss) {
                  return p.revoke(form, authz, iss, now_s());
                });
}

void userinfo(route_context& ctx) {
  if (auto* p = oauth2_of(ctx))
    ctx.respond(
      answer_response(p->userinfo(ctx.req.header("Authorization"), now_s())));
}

void logout(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (!p)
    return;
  auto q = auth::oauth2::parse_form(ctx.req.method == "POST" ? ctx.req.body
                                                             : ctx.req.query);
  if (!q.ok)
    return ctx.respond(error_response(400, q.error));
  ctx.respond(
    answer_response(p->end_session(q.params, now_s(), issuer_of(*p, ctx.req))));
}

void clients_list(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (p && require_global_admin(ctx))
    ctx.respond(json_response(200, dump(p->admin_list_clients())));
}

void clients_create(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (!p || !require_global_admin(ctx))
    return;
  nlohmann::json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "expected a JSON object"));
  // PBKDF2 of the new secret: off the actor
  ctx.work.run_blocking(
    [p, body = std::move(body), env = &ctx.env,
     req = ctx.req](blocking_writer&) {
      auto a = p->admin_create_client(body);
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

void clients_delete(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (!p || !require_global_admin(ctx))
    return;
  auto a = p->admin_delete_client(ctx.params.at(0));
  audit_answer(ctx.env, ctx.req, a);
  ctx.respond(answer_response(std::move(a)));
}

void keys_rotate(route_context& ctx) {
  auto* p = oauth2_of(ctx);
  if (!p || !require_global_admin(ctx))
    return;
  std::string alg; // {"alg": "ES256"} switches algorithms
  if (!ctx.req.body.empty()) {
    nlohmann::json body;
    if (auto bad = parse_json_body(ctx.req.body, body))
      return ctx.respond(std::move(*bad));
    if (body.is_discarded() || !body.is_object() ||
        (body.contains("alg") && !body["alg"].is_string()))
      return ctx.respond(error_response(400, "expected {\"alg\": \"RS256\" "
                                             "or \"ES256\"}"));
    alg = body.value("alg", "");
  }
  ctx.work.run_blocking(
    [p, alg, env = &ctx.env, req = ctx.req](blocking_writer&) {
      auto a = p->admin_rotate_keys(now_s(), alg);
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

} // namespace

void register_oauth2_routes(route_registry& reg) {
  const char* form = "application/x-www-form-urlencoded";
  reg.add("/.well-known/openid-configuration", {"oauth2"})
    .get(openid_configuration, "OpenID Connect discovery")
    .errors({404})
    .scope("");
  reg.add("/.well-known/oauth-authorization-server", {"oauth2"})
    .get(oauth_metadata, "OAuth 2.0 authorization server metadata (RFC 8414)")
    .errors({404})
    .scope("");
  reg.add("/api/v1/auth/jwks", {"oauth2"})
    .get(jwks_get, "The provider's public signing keys (JWKS)")
    .produces("application/jwk-set+json")
    .errors({404})
    .scope("");
  reg.add("/api/v1/auth/authorize", {"oauth2"})
    .get(authorize_get, "Authorization request: the sign-in form")
    .produces("text/html")
    .errors({302, 400, 404})
    .own_error_shape()
    .scope("")
    .post(authorize_post, "Sign-in form submission: redirects with a code")
    .consumes(form)
    .produces("text/html")
    .errors({302, 400, 401, 403, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/token", {"oauth2"})
    .post(token_post, "Token endpoint: authorization_code, refresh_token, "
                      "client_credentials")
    .consumes(form)
    .errors({400, 401, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/token/introspect", {"oauth2"})
    .post(introspect_post, "Token introspection (RFC 7662)")
    .consumes(form)
    .errors({400, 401, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/token/revoke", {"oauth2"})
    .post(revoke_post, "Token revocation (RFC 7009)")
    .consumes(form)
    .errors({400, 401, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/userinfo", {"oauth2"})
    .get(userinfo, "OpenID Connect userinfo")
    .errors({401, 403, 404})
    .own_error_shape()
    .scope("")
    .post(userinfo, "OpenID Connect userinfo")
    .errors({401, 403, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/logout", {"oauth2"})
    .get(logout, "RP-initiated logout (end_session_endpoint)")
    .produces("text/html")
    .errors({302, 400, 404})
    .own_error_shape()
    .scope("")
    .post(logout, "RP-initiated logout (end_session_endpoint)")
    .consumes(form)
    .produces("text/html")
    .errors({302, 400, 404})
    .own_error_shape()
    .scope("");
  reg.add("/api/v1/auth/clients", {"oauth2"})
    .get(clients_list, "Registered OAuth2 clients")
    .errors({403, 404})
    .scope("admin")
    .post(clients_create, "Register an OAuth2 client (the secret is shown "
                          "once)")
    .errors({400, 403, 404, 409})
    .own_error_shape()
    .scope("admin");
  reg.add("/api/v1/auth/clients/{id}", {"oauth2"})
    .del(clients_delete, "Delete an OAuth2 client registered by the API")
    .errors({403, 404, 409})
    .own_error_shape()
    .scope("admin");
  reg.add("/api/v1/auth/keys/rotate", {"oauth2"})
    .post(keys_rotate, "A new signing key; the previous one stays published")
    .errors({403, 404, 409, 500})
    .own_error_shape()
    .scope("admin");
}

} // namespace themis
