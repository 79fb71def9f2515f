#include "handlers/auth_gate.hpp"

#include <algorithm>

#include "auth/kerberos/kerberos_auth.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/ranger_rest.hpp"
#include "handlers/route_registry.hpp"
#include "themis/base64.hpp"

namespace themis {

namespace {

bool starts(const std::string& s, const char* p) {
  return s.rfind(p, 0) == 0;
}

/// RFC 6750 §3 challenge.
api_response challenge(int status, const std::string& error,
                       const std::string& description,
                       const std::string& scope) {
  auto r = error_response(status, description.empty() ? "authentication "
                                                        "required"
                                                      : description);
  std::string v = "Bearer realm=\"themis\"";
  if (!error.empty()) {
    std::string d;
    for (char c : description)
      if (c != '"' && c != '\\')
        d.push_back(c);
    v += ", error=\"" + error + "\", error_description=\"" + d + "\"";
  }
  if (!scope.empty())
    v += ", scope=\"" + scope + "\"";
  r.set_header("WWW-Authenticate", v);
  return r;
}

} // namespace

auth_gate::auth_gate(std::shared_ptr<const auth::authenticator> authn,
                     engine::audit_log* audit) :
  authn_(std::move(authn)),
  audit_(audit) {}

std::string auth_gate::required_scope(const std::string& method,
                                      const std::string& path,
                                      bool open_metrics) {
  // issue 22: the handler registry's scope, where the route declares one
  if (auto s = registry_scope(method, path))
    return *s;
  return path_scope(method, path, open_metrics);
}

std::string auth_gate::path_scope(const std::string& method,
                                  const std::string& path, bool open_metrics) {
  if (starts(path, "/health") || path == "/" ||
      (open_metrics && path == "/metrics"))
    return "";
  // issue 21: /mcp answers its own 401 (with the RFC 9728 challenge) and
  // checks each tool's scope; its metadata is public
  if (path == "/mcp" || starts(path, "/.well-known/oauth-protected-resource"))
    return "";
  // issue 24: the OAuth2 / OIDC provider authenticates its callers itself
  // (client secrets, the login form, userinfo's bearer token); its admin
  // API (clients, signing keys) needs admin
  if (starts(path, "/api/v1/auth/clients") ||
      starts(path, "/api/v1/auth/keys/"))
    return "admin";
  if (starts(path, "/api/v1/auth/") ||
      path == "/.well-known/openid-configuration" ||
      path == "/.well-known/oauth-authorization-server")
    return "";
  bool read = method == "GET" || method == "HEAD";
  if (starts(path, "/changefeed") || starts(path, "/v1/changes") ||
      starts(path, "/v2/changes"))
    return "cdc:read";
  if (starts(path, "/v2/jobs") || starts(path, "/v1/jobs"))
    return "jobs";
  if (starts(path, "/query") || starts(path, "/v1/query") ||
      starts(path, "/v2/query") || starts(path, "/v1/cursor"))
    return "query";
  if (starts(path, "/v1/collections") || starts(path, "/entities") ||
      starts(path, "/v2/documents"))
    return read ? "data:read" : "data:write";
  // issue 32: searches read; index definitions and vector inserts write
  if (path == "/vector/search" || starts(path, "/search/"))
    return "data:read";
  if (starts(path, "/vector/") || starts(path, "/index/"))
    return read ? "data:read" : "data:write";
  // issue 32: traversals read; edges are document writes
  if (path == "/graph/traverse")
    return "data:read";
  if (starts(path, "/graph/edge"))
    return read ? "data:read" : "data:write";
  if (starts(path, "/transaction"))
    return "data:read"; // each write in it needed data:write when staged
  if (path == "/api/query" || path == "/api/aql")
    return "query";
  if (starts(path, "/api/") && !starts(path, "/api/keys") &&
      !starts(path, "/api/audit") && !starts(path, "/api/v1/") &&
      std::count(path.begin(), path.end(), '/') == 4)
    return read ? "data:read" : "data:write"; // /api/{model}/{coll}/{id}
  // issue 22: the ArangoDB HTTP API subset (handlers/arango_util.cpp)
  if (starts(path, "/_api/") || starts(path, "/_db/"))
    return arango_required_scope(method, path);
  // issue 21: each operation checks its own scopes (handlers/graphql_*)
  if (path == "/graphql")
    return "authenticated";
  if (path == "/_admin/cluster/topology")
    return "authenticated";
  // /api/keys and /api/audit check admin (or, for a tenant's own keys,
  // tenant admin) in their handlers; any principal may reach them
  if (starts(path, "/api/"))
    return "authenticated";
  return "admin"; // metrics when closed, debug and admin routes
}

api_response auth_gate::refuse(const api_request& req, int status,
                               const std::string& error, const std::string& why,
                               const std::string& scope) const {
  if (audit_)
    audit_->append(http_audit_event(
      req, status == 401 ? "auth.failure" : "auth.denied", "denied",
      req.method + " " + req.path + ": " +
        (why.empty() ? std::string("no credentials") : why)));
  auto r = challenge(status, error, why, scope);
  // RFC 4559 §4.1: offer SPNEGO too (a second challenge header)
  if (status == 401 && kerberos_)
    r.headers.emplace_back("WWW-Authenticate", "Negotiate");
  return r;
}

std::optional<api_response> auth_gate::check(api_request& req, int64_t now_s,
                                             header_list* reply) const {
  auto& cfg = authn_->config();
  std::string token;
  std::optional<std::string> negotiate; // SPNEGO's token, base64
  if (auto h = req.header("Authorization");
      h && h->size() > 7 && iequals(h->substr(0, 7), "Bearer "))
    token = h->substr(7);
  else if (h && h->size() > 10 && iequals(h->substr(0, 10), "Negotiate "))
    negotiate = h->substr(10);
  else if (auto k = req.header("X-API-Key"))
    token = *k;
  auto scope = required_scope(req.method, req.path, cfg.open_metrics);
  if (negotiate) {
    // a Kerberos ticket is verified even where no credential is needed:
    // a client that thinks it acts as a user must not act anonymously
    std::string why;
    auto& b64 = *negotiate;
    auto first = b64.find_first_not_of(" \t");
    auto last = b64.find_last_not_of(" \t");
    auto raw =
      first == std::string::npos
        ? std::nullopt
        : base64_decode(std::string_view(b64).substr(first, last - first + 1));
    if (!kerberos_)
      why = "Kerberos (Negotiate) is not configured";
    else if (!raw)
      why = "Negotiate token is not base64";
    else {
      auto r = kerberos_->negotiate(*raw, *authn_);
      if (r.ok) {
        req.who = std::move(r.who);
        if (reply && !r.reply.empty())
          reply->emplace_back("WWW-Authenticate",
                              "Negotiate " + base64_encode(r.reply));
      } else {
        why = "Kerberos: " + r.error;
      }
    }
    if (!why.empty()) {
      req.who = principal{};
      if (scope.empty())
        return std::nullopt;
      return refuse(req, 401, "invalid_token", why);
    }
  } else if (token.empty() && !req.client_cert.empty()) {
    // a verified client certificate, and no token to say otherwise
    req.who = authn_->for_certificate(req.client_cert);
  } else if (token.empty()) {
    if (!cfg.required) {
      req.who = principal{{}, {}, {}, "anonymous", {}};
    } else {
      req.who = principal{};
      if (!scope.empty())
        return refuse(req, 401, "", "");
    }
  } else {
    auto r = authn_->from_token(token, now_s);
    if (!r.ok) {
      req.who = principal{};
      if (scope.empty())
        return std::nullopt; // /health with a stale token still answers
      return refuse(req, 401, "invalid_token", r.error);
    }
    req.who = std::move(r.who);
  }
  // X-Tenant-ID: only a global admin may act inside a tenant; anyone else
  // naming a tenant that is not theirs is refused rather than ignored
  if (auto t = req.header("X-Tenant-ID"); t && !t->empty()) {
    if (!valid_tenant_id(*t))
      return refuse(req, 400, "invalid_request",
                    "X-Tenant-ID is not a tenant id (1-32 of a-z, 0-9, -)");
    if (*t != req.who.tenant) {
      if (!(req.who.tenant.empty() && req.who.is_admin()))
        return refuse(req, 403, "insufficient_scope",
                      "this principal may not act for tenant " + *t, "admin");
      req.who.tenant = *t;
    }
  }
  if (!(scope.empty() || scope == "authenticated" || req.who.has_scope(scope)))
    return refuse(req, 403, "insufficient_scope",
                  "the token lacks the scope " + scope, scope);
  // issue 24: scopes allow it; Ranger must too (every route with a scope)
  if (ranger_)
    for (auto& c : ranger_rest_access(req, scope, req.who.tenant))
      if (!ranger_->allows(req.who, c))
        return refuse(req, 403, "insufficient_scope",
                      "denied by Ranger policy (" + c.access + " on " +
                        c.res_type + ")");
  return std::nullopt;
}

} // namespace themis
