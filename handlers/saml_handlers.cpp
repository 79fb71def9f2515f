/// /api/v1/auth/saml/…: saml_routes.hpp. The ACS and SLO verify RSA
/// signatures over XML (Lasso, serialized by a mutex): worker threads.

#include "auth/oauth2/form_codec.hpp"
#include "auth/oauth2/provider.hpp"
#include "auth/saml/saml_setup.hpp"
#include "auth/saml/service_provider.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/auth_answer.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/saml_routes.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using auth::saml::service_provider;

int64_t now_s() {
  return unix_now_ms() / 1000;
}

/// The SP, or a 404 (saml.enabled off) already sent.
service_provider* saml_of(route_context& ctx) {
  if (!ctx.env.saml)
    ctx.respond(error_response(404, "SAML sign-in is not enabled "
                                    "(saml.enabled)"));
  return ctx.env.saml;
}

/// The form of an HTTP-POST binding message, bounded by
/// saml.max_response_bytes (base64, percent-encoded at most 3×) before
/// anything is decoded; an error already sent when it is not one.
std::optional<auth::oauth2::form_map> post_form(route_context& ctx,
                                                size_t max_b64) {
  if (ctx.req.body.size() > 3 * max_b64 + 4096) {
    ctx.respond(error_response(413, "the SAML message is larger than "
                                    "saml.max_response_bytes"));
    return std::nullopt;
  }
  if (!has_content_type(ctx.req, "application/x-www-form-urlencoded")) {
    ctx.respond(error_response(
      400, "the body must be application/x-www-form-urlencoded"));
    return std::nullopt;
  }
  auth::oauth2::form_limits lim;
  lim.max_bytes = 3 * max_b64 + 4096;
  lim.max_params = 16;
  lim.max_value_bytes = lim.max_bytes; // the guard answers 413 per value
  auto f = auth::oauth2::parse_form(ctx.req.body, lim);
  if (!f.ok) {
    ctx.respond(error_response(400, "malformed form body: " + f.error));
    return std::nullopt;
  }
  return std::move(f.params);
}

std::string issuer_of(const handler_env& env, const api_request& req) {
  auto* proto = req.header("X-Forwarded-Proto");
  return env.oauth2->issuer_for(req.header("Host"), proto && *proto == "https");
}

void login(route_context& ctx) {
  auto* sp = saml_of(ctx);
  if (!sp)
    return;
  auto q = auth::oauth2::parse_form(ctx.req.query);
  if (!q.ok)
    return ctx.respond(error_response(400, "malformed query: " + q.error));
  auto return_to = auth::oauth2::form_get(q.params, "return_to");
  // a signed request is an RSA signature: off the actor
  ctx.work.run_blocking(
    [sp, return_to, env = &ctx.env, req = ctx.req](blocking_writer&) {
      auto a = sp->login(return_to, now_s());
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

void acs(route_context& ctx) {
  auto* sp = saml_of(ctx);
  if (!sp)
    return;
  auto form = post_form(ctx, ctx.env.config.saml.max_response_bytes);
  if (!form)
    return;
  ctx.work.run_blocking(
    [sp, form = std::move(*form), env = &ctx.env,
     req = ctx.req](blocking_writer&) {
      auto a = sp->acs(auth::oauth2::form_get(form, "SAMLResponse"),
                       auth::oauth2::form_get(form, "RelayState"),
                       issuer_of(*env, req), now_s());
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

void slo(route_context& ctx) {
  auto* sp = saml_of(ctx);
  if (!sp)
    return;
  auto* authz = ctx.req.header("Authorization");
  if (authz && authz->rfind("Bearer ", 0) == 0) {
    // a user ends their own SAML session here
    std::string err;
    bool mine = false;
    auto claims = ctx.env.oauth2->verify_access_token(
      std::string_view(*authz).substr(7), now_s(), err, mine);
    if (!claims)
      return ctx.respond(
        error_response(401, err.empty() ? "not a token of this server" : err));
    if (claims->value("client_id", "") != auth::saml::saml_client_id)
      return ctx.respond(
        error_response(400, "the token is not one a SAML sign-in issued"));
    auto a = sp->local_logout(claims->value("fam", ""),
                              claims->value("sub", ""), now_s());
    audit_answer(ctx.env, ctx.req, a);
    return ctx.respond(answer_response(std::move(a)));
  }
  auto form = post_form(ctx, ctx.env.config.saml.max_response_bytes);
  if (!form)
    return;
  auto& request = auth::oauth2::form_get(*form, "SAMLRequest");
  if (request.empty())
    return ctx.respond(error_response(
      400, "expected the IdP's SAMLRequest (a LogoutRequest, HTTP-POST "
           "binding) or a bearer token"));
  ctx.work.run_blocking(
    [sp, request, env = &ctx.env, req = ctx.req](blocking_writer&) {
      auto a = sp->idp_logout(request, now_s());
      audit_answer(*env, req, a);
      return answer_response(std::move(a));
    },
    ctx.respond);
}

void metadata(route_context& ctx) {
  if (auto* sp = saml_of(ctx))
    ctx.respond(answer_response(sp->metadata()));
}

} // namespace

void register_saml_routes(route_registry& reg) {
  const char* form = "application/x-www-form-urlencoded";
  reg.add("/api/v1/auth/saml/login", {"saml"})
    .get(login, "SAML sign-in: redirect to the IdP with an AuthnRequest")
    .errors({302, 400, 404, 500})
    .scope("");
  reg.add("/api/v1/auth/saml/acs", {"saml"})
    .post(acs, "SAML assertion consumer service (HTTP-POST binding): a "
               "verified assertion becomes an access token")
    .consumes(form)
    .errors({303, 400, 401, 403, 404, 413, 500, 503})
    .scope("");
  reg.add("/api/v1/auth/saml/slo", {"saml"})
    .post(slo, "SAML single logout: the IdP's LogoutRequest, or a bearer "
               "token ending its own SAML session")
    .consumes(form)
    .errors({400, 401, 404, 413})
    .scope("");
  reg.add("/api/v1/auth/saml/metadata", {"saml"})
    .get(metadata, "The SP's SAML 2.0 metadata (for the IdP)")
    .produces("application/samlmetadata+xml")
    .errors({404})
    .scope("");
}

} // namespace themis
