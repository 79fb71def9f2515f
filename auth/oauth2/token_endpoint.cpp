/// The token endpoint (RFC 6749 §4.1.3, §6, §4.4), introspection (RFC
/// 7662), revocation (RFC 7009), userinfo (OIDC Core §5.3) and
/// RP-initiated logout (OIDC RP-Initiated Logout 1.0).

#include <set>
#include <sstream>

#include "auth/oauth2/pkce.hpp"
#include "auth/oauth2/provider.hpp"
#include "themis/api_message.hpp"

namespace themis::auth::oauth2 {

namespace {

std::set<std::string> word_set(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> out;
  for (std::string w; in >> w;)
    out.insert(w);
  return out;
}

bool has_word(const std::string& s, const std::string& w) {
  return word_set(s).count(w) > 0;
}

answer json_answer(const nlohmann::json& j) {
  answer a;
  a.body = j.dump();
  a.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  return a;
}

answer client_failure(const client_auth& ca, const form_map& body) {
  if (ca.error == "invalid_request")
    return oauth_error(400, ca.error, ca.description);
  auto a = oauth_error(401, "invalid_client", ca.description);
  a.headers.emplace_back("WWW-Authenticate", "Basic realm=\"themis\"");
  a.audit = audit_note{"oauth2.client_auth", "denied",
                       form_get(body, "client_id"), "", ca.description};
  return a;
}

/// invalid_grant for a replayed code or refresh token: the grant was
/// revoked, and the operator hears about it.
answer replay(const std::string& what, const grant& g) {
  auto a = oauth_error(400, "invalid_grant",
                       "the " + what +
                         " was already used; every token of this grant is "
                         "revoked");
  a.audit =
    audit_note{"oauth2.reuse", "denied", g.user, g.tenant,
               what + " replayed at client " + g.client_id + ": grant revoked"};
  return a;
}

answer bearer_failure(const std::string& description) {
  auto a = oauth_error(401, "invalid_token", description);
  std::string d;
  for (char c : description)
    if (c != '"' && c != '\\')
      d.push_back(c);
  a.headers.emplace_back("WWW-Authenticate",
                         "Bearer realm=\"themis\", error=\"invalid_token\", "
                         "error_description=\"" +
                           d + "\"");
  return a;
}

} // namespace

answer provider::token(const form_map& body, const std::string* authorization,
                       const std::string& issuer, int64_t now_s) {
  auto ca = authenticate(body, authorization, issuer, now_s);
  if (!ca.ok)
    return client_failure(ca, body);
  auto& gt = form_get(body, "grant_type");
  if (gt == "authorization_code")
    return token_code(body, ca.client, issuer, now_s);
  if (gt == "refresh_token")
    return token_refresh(body, ca.client, issuer, now_s);
  if (gt == "client_credentials")
    return token_client_credentials(body, ca.client, issuer, now_s);
  if (gt.empty())
    return oauth_error(400, "invalid_request", "grant_type is required");
  return oauth_error(400, "unsupported_grant_type", "");
}

answer provider::token_code(const form_map& body, const oauth2_client& c,
                            const std::string& issuer, int64_t now_s) {
  auto& code = form_get(body, "code");
  if (code.empty() || code.size() > 256)
    return oauth_error(400, "invalid_request", "code is required");
  code_grant g;
  // redeemed first: a wrong verifier or redirect_uri still burns the code,
  // so an attacker gets one guess
  switch (store_->redeem_code(code, now_s * 1000, g)) {
    case code_status::unknown:
      return oauth_error(400, "invalid_grant", "unknown code");
    case code_status::expired:
      return oauth_error(400, "invalid_grant", "the code expired");
    case code_status::reused:
      return replay("code", g);
    case code_status::ok:
      break;
  }
  if (g.client_id != c.id)
    return oauth_error(400, "invalid_grant",
                       "the code was issued to "
                       "another client");
  if (form_get(body, "redirect_uri") != g.redirect_uri)
    return oauth_error(400, "invalid_grant",
                       "redirect_uri differs from the "
                       "authorization request's");
  auto& verifier = form_get(body, "code_verifier");
  if (g.challenge.empty()) {
    if (!verifier.empty())
      return oauth_error(400, "invalid_grant",
                         "code_verifier sent, but the authorization request "
                         "had no code_challenge");
  } else if (verifier.empty()) {
    return oauth_error(400, "invalid_grant", "code_verifier is required");
  } else if (!pkce_verify(g.method, g.challenge, verifier)) {
    return oauth_error(400, "invalid_grant", "PKCE verification failed");
  }
  if (!users_.find(g.user))
    return oauth_error(400, "invalid_grant", "the user no longer exists");
  auto family = store_->new_family(g, now_s * 1000);
  store_->bind_code_family(code, family);
  auto out = mint(g, issuer, family, has_word(g.scope, "openid"), now_s);
  out["refresh_token"] = store_->issue_refresh(
    family, g, now_s * 1000, (now_s + cfg_.refresh_token_ttl_s) * 1000);
  return json_answer(out);
}

answer provider::token_refresh(const form_map& body, const oauth2_client& c,
                               const std::string& issuer, int64_t now_s) {
  auto& rt = form_get(body, "refresh_token");
  if (rt.empty() || rt.size() > 256)
    return oauth_error(400, "invalid_request", "refresh_token is required");
  grant g;
  std::string next, family;
  auto st = store_->rotate_refresh(
    rt, c.id, now_s * 1000, cfg_.refresh_token_ttl_s * 1000LL, g, next, family);
  switch (st) {
    case refresh_status::ok:
      break;
    case refresh_status::reused:
      return replay("refresh token", g);
    case refresh_status::revoked:
      return oauth_error(400, "invalid_grant", "the grant was revoked");
    case refresh_status::expired:
      return oauth_error(400, "invalid_grant", "the refresh token expired");
    default:
      return oauth_error(400, "invalid_grant", "invalid refresh token");
  }
  // the user's rights now, not at sign-in: a removed user or scope ends
  auto who = users_.find(g.user);
  if (!who) {
    store_->revoke_family(family, "user removed", now_s * 1000);
    return oauth_error(400, "invalid_grant", "the user no longer exists");
  }
  auto granted = word_set(g.scope);
  std::string scope;
  auto& asked = form_get(body, "scope");
  for (auto& s : asked.empty() ? granted : word_set(asked)) {
    if (!granted.count(s))
      return oauth_error(400, "invalid_scope",
                         "scope " + s + " exceeds the original grant");
    bool oidc = s == "openid" || s == "profile" || s == "offline_access";
    if (oidc || who->has_scope(s))
      scope += (scope.empty() ? "" : " ") + s;
  }
  g.scope = scope;
  g.tenant = who->tenant;
  g.nonce.clear(); // OIDC Core §12.2: the nonce belongs to the first one
  auto out = mint(g, issuer, family, has_word(scope, "openid"), now_s);
  out["refresh_token"] = next;
  return json_answer(out);
}

answer provider::token_client_credentials(const form_map& body,
                                          const oauth2_client& c,
                                          const std::string& issuer,
                                          int64_t now_s) {
  if (c.is_public)
    return oauth_error(400, "unauthorized_client",
                       "a public client cannot use client_credentials");
  std::string scope;
  auto& asked = form_get(body, "scope");
  auto want = asked.empty()
                ? std::set<std::string>(c.scopes.begin(), c.scopes.end())
                : word_set(asked);
  for (auto& s : want) {
    // no user behind it: only scopes the client is registered for
    if (c.scopes.empty() || !c.allows_scope(s) || s == "openid")
      return oauth_error(400, "invalid_scope",
                         "scope " + s + " is not registered for this client");
    scope += (scope.empty() ? "" : " ") + s;
  }
  grant g;
  g.client_id = c.id;
  g.user = c.id;
  g.tenant = c.tenant;
  g.scope = scope;
  return json_answer(mint(g, issuer, "", false, now_s));
}

answer provider::introspect(const form_map& body,
                            const std::string* authorization,
                            const std::string& issuer, int64_t now_s) {
  auto ca = authenticate(body, authorization, issuer, now_s);
  if (!ca.ok)
    return client_failure(ca, body);
  if (ca.client.is_public)
    return oauth_error(401, "invalid_client",
                       "introspection needs a confidential client");
  auto& token = form_get(body, "token");
  if (token.empty())
    return oauth_error(400, "invalid_request", "token is required");
  nlohmann::json inactive = {{"active", false}};
  std::string error;
  bool mine = false;
  if (auto c = verify_access_token(token, now_s, error, mine)) {
    nlohmann::json j = {{"active", true}, {"token_type", "Bearer"}};
    for (auto* k :
         {"scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"})
      if (c->contains(k))
        j[k] = (*c)[k];
    if (c->contains(claims_.scope))
      j["scope"] = (*c)[claims_.scope];
    if (c->contains(claims_.tenant))
      j["tenant"] = (*c)[claims_.tenant];
    j["username"] = c->value("sub", "");
    return json_answer(j);
  }
  if (mine)
    return json_answer(inactive);
  auto r = store_->inspect_refresh(token, now_s * 1000);
  // a refresh token is its client's business alone
  if (!r || !r->active || r->g.client_id != ca.client.id)
    return json_answer(inactive);
  nlohmann::json j = {{"active", true},
                      {"token_type", "refresh_token"},
                      {"scope", r->g.scope},
                      {"client_id", r->g.client_id},
                      {"sub", r->g.user},
                      {"username", r->g.user},
                      {"exp", r->expires_ms / 1000},
                      {"iat", r->issued_ms / 1000}};
  if (!r->g.tenant.empty())
    j["tenant"] = r->g.tenant;
  return json_answer(j);
}

answer provider::revoke(const form_map& body, const std::string* authorization,
                        const std::string& issuer, int64_t now_s) {
  auto ca = authenticate(body, authorization, issuer, now_s);
  if (!ca.ok)
    return client_failure(ca, body);
  auto& token = form_get(body, "token");
  if (token.empty())
    return oauth_error(400, "invalid_request", "token is required");
  auto& hint = form_get(body, "token_type_hint");
  if (!hint.empty() && hint != "access_token" && hint != "refresh_token")
    return oauth_error(400, "unsupported_token_type", "");
  std::string error;
  bool mine = false;
  auto c = verify_access_token(token, now_s, error, mine);
  if (c && c->value("client_id", "") == ca.client.id) {
    store_->revoke_jti(c->value("jti", ""), c->value("exp", int64_t{0}) * 1000);
  } else if (!mine) {
    auto r = store_->inspect_refresh(token, now_s * 1000);
    if (r && r->g.client_id == ca.client.id)
      store_->revoke_family(r->family, "revoked by the client", now_s * 1000);
  }
  answer a; // §2.2: 200 whether or not the token was valid
  a.body = "{}";
  a.headers = {{"Cache-Control", "no-store"}};
  return a;
}

answer provider::userinfo(const std::string* authorization, int64_t now_s) {
  if (!authorization || authorization->size() <= 7 ||
      !iequals(authorization->substr(0, 7), "Bearer ")) {
    auto a = oauth_error(401, "invalid_token", "a bearer token is required");
    a.body = "{}";
    a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"themis\"");
    return a;
  }
  std::string error;
  bool mine = false;
  auto c = verify_access_token(authorization->substr(7), now_s, error, mine);
  if (!c)
    return bearer_failure(mine ? error : "not a token of this provider");
  auto scope = c->value(claims_.scope, "");
  if (!has_word(scope, "openid")) {
    auto a = oauth_error(403, "insufficient_scope", "the openid scope");
    a.headers.emplace_back("WWW-Authenticate",
                           "Bearer realm=\"themis\", error=\"insufficient_"
                           "scope\", scope=\"openid\"");
    return a;
  }
  auto sub = c->value("sub", "");
  nlohmann::json j = {{"sub", sub}, {"preferred_username", sub}};
  if (c->contains(claims_.tenant))
    j[claims_.tenant] = (*c)[claims_.tenant];
  j["scope"] = scope;
  return json_answer(j);
}

answer provider::end_session(const form_map& q, int64_t now_s,
                             const std::string& issuer) {
  auto& hint = form_get(q, "id_token_hint");
  std::string client_id = form_get(q, "client_id");
  std::string user;
  auto page = [](int status, const std::string& text) {
    answer a;
    a.status = status;
    a.content_type = "text/html; charset=utf-8";
    a.body = "<!doctype html><html><head><meta charset=utf-8><title>Sign "
             "out</title></head><body><p>" +
             html_escape(text) + "</p></body></html>";
    a.headers = {{"Cache-Control", "no-store"}};
    return a;
  };
  if (!hint.empty()) {
    // an expired ID token is still a fine hint (the spec says so): check
    // the signature with a wide clock skew
    jwt_policy pol;
    pol.issuer = cfg_.issuer;
    pol.skew_s = 365LL * 86400;
    auto v = verify_jwt(hint, ring()->verify, pol, now_s);
    if (v.status != jwt_status::ok)
      return page(400, "The id_token_hint is not an ID token of this "
                       "server.");
    auto aud = v.claims.value("aud", "");
    if (!client_id.empty() && client_id != aud)
      return page(400, "client_id does not match the id_token_hint.");
    client_id = aud;
    user = v.claims.value("sub", "");
  }
  auto& post = form_get(q, "post_logout_redirect_uri");
  auto c = client_id.empty() ? std::nullopt : clients_.find(client_id);
  if (!post.empty() && (!c || !c->allows_logout_redirect(post, issuer)))
    return page(400, "The post_logout_redirect_uri is not registered for "
                     "the client.");
  if (c && !user.empty())
    store_->revoke_user_client(user, c->id, now_s * 1000);
  if (post.empty())
    return page(200, "You are signed out.");
  std::vector<std::pair<std::string, std::string>> params;
  if (auto& s = form_get(q, "state"); !s.empty())
    params.emplace_back("state", s);
  answer a;
  a.status = 302;
  a.content_type.clear();
  a.headers = {{"Location", append_query(post, params)},
               {"Cache-Control", "no-store"}};
  return a;
}

} // namespace themis::auth::oauth2
