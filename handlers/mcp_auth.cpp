/// MCP authorization (docs/mcp.md, "Authorization"): /mcp takes the same
/// bearer tokens as every route (JWT or API key, handlers/auth_gate.cpp);
/// without one (auth.required) or with a bad one it answers 401 with a
/// challenge naming the RFC 9728 metadata, which says where tokens come
/// from (mcp.authorization_servers) and which scopes exist.

#include "handlers/http_audit.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_http.hpp"
#include "handlers/mcp_routes.hpp"

namespace themis {

namespace mcp {

namespace {

/// A Host header fit to be echoed into a URL (else "localhost").
std::string safe_host(const std::string* host) {
  if (!host || host->empty() || host->size() > 255)
    return "localhost";
  for (char c : *host)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']'))
      return "localhost";
  return *host;
}

/// "scheme://authority" of a URL.
std::string origin_of(const std::string& url) {
  auto s = url.find("://");
  if (s == std::string::npos)
    return url;
  auto e = url.find('/', s + 3);
  return e == std::string::npos ? url : url.substr(0, e);
}

std::string metadata_url(const route_context& ctx) {
  return origin_of(resource_url(ctx)) +
         "/.well-known/oauth-protected-resource/mcp";
}

} // namespace

api_response http_rpc_error(int status, int code, const std::string& message) {
  auto r = json_response(status, dump(rpc_error(nullptr, code, message)));
  return r;
}

std::string resource_url(const route_context& ctx) {
  auto& u = ctx.env.config.mcp.resource_url;
  if (!u.empty())
    return u;
  return "http://" + safe_host(ctx.req.header("Host")) + "/mcp";
}

api_response unauthorized(const route_context& ctx) {
  auto& req = ctx.req;
  bool presented = req.header("Authorization") || req.header("X-API-Key");
  ++ctx.env.metrics.http_auth_failures;
  if (ctx.env.audit)
    ctx.env.audit->append(
      http_audit_event(req, "auth.failure", "denied",
                       req.method + " " + req.path + ": " +
                         (presented ? "invalid token" : "no credentials")));
  auto r = http_rpc_error(401, server_error,
                          presented ? "Unauthorized: invalid token"
                                    : "Unauthorized: a bearer token is "
                                      "required");
  std::string v = "Bearer resource_metadata=\"" + metadata_url(ctx) + "\"";
  if (presented)
    v += ", error=\"invalid_token\"";
  r.set_header("WWW-Authenticate", v);
  return r;
}

} // namespace mcp

void mcp_resource_metadata(route_context& ctx) {
  auto& cfg = ctx.env.config.mcp;
  if (!cfg.enabled)
    return ctx.respond(error_response(404, "no route for " + ctx.req.method +
                                             " " + ctx.req.path));
  nlohmann::json body = {
    {"resource", mcp::resource_url(ctx)},
    {"bearer_methods_supported", {"header"}},
    {"scopes_supported",
     {"data:read", "data:write", "query", "jobs", "cdc:read", "admin"}},
    {"resource_name", "ThemisDB MCP server (themisd)"}};
  if (!cfg.authorization_servers.empty())
    body["authorization_servers"] = cfg.authorization_servers;
  auto r = json_response(200, dump(body));
  r.set_header("Cache-Control", "max-age=300");
  ctx.respond(std::move(r));
}

} // namespace themis
