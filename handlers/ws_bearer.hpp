#pragma once
/// A credential a browser can send on a WebSocket handshake (issue 29).
/// The browser's WebSocket API sets no request headers, so no
/// `Authorization`; it does send the subprotocols it is given. A client
/// offers `themis.bearer.<base64url(token)>` beside the protocol it really
/// speaks; the router takes the entry out of `Sec-WebSocket-Protocol`
/// before anything else reads the request and turns it into
/// `Authorization: Bearer <token>`, so rate-limit keys, the auth gate,
/// audit and the handlers see an ordinary bearer request and a handler
/// can only ever echo the real protocol, never the credential. A global
/// admin's console acting in a tenant offers `themis.tenant.<id>` the same
/// way for `X-Tenant-ID` (the auth gate decides whether it may). Pure: no
/// sockets, no logging (the token must never reach a log).

#include <optional>
#include <string>
#include <string_view>

#include "themis/api_message.hpp"
#include "themis/base64.hpp"
#include "themis/list_tokens.hpp"

namespace themis::ws {

inline constexpr std::string_view bearer_protocol_prefix = "themis.bearer.";
inline constexpr std::string_view tenant_protocol_prefix = "themis.tenant.";
/// Longest encoded credential: a JWT with many scopes fits easily; the
/// header block's own limit applies before this.
inline constexpr size_t max_bearer_protocol_chars = 8192;

struct protocol_credential {
  bool offered = false;        ///< a themis.bearer.* entry was in the list
  std::string token;           ///< the decoded token
  bool tenant_offered = false; ///< a themis.tenant.* entry was in the list
  std::string tenant;          ///< its tenant id (checked by the auth gate)
  std::string rest;            ///< the other offered protocols, ", " joined
  std::string error; ///< not empty: refuse the handshake (never the token)
};

/// Splits an offered subprotocol list (comma separated, RFC 6455 §4.1)
/// into the credential and the rest. Empty list elements are skipped.
inline protocol_credential take_bearer_protocol(std::string_view offered) {
  protocol_credential out;
  auto starts = [](std::string_view tok, std::string_view prefix) {
    return tok.size() >= prefix.size() &&
           iequals(tok.substr(0, prefix.size()), prefix);
  };
  for_each_list_token(offered, [&](std::string_view tok) {
    if (starts(tok, bearer_protocol_prefix)) {
      auto enc = tok.substr(bearer_protocol_prefix.size());
      if (out.offered)
        out.error = "more than one themis.bearer subprotocol";
      else if (enc.empty())
        out.error = "themis.bearer subprotocol without a token";
      else if (enc.size() > max_bearer_protocol_chars)
        out.error = "themis.bearer subprotocol is too long";
      else if (!base64url_decode(enc, out.token) || out.token.empty())
        out.error = "themis.bearer subprotocol is not base64url";
      else
        for (unsigned char c : out.token)
          if (c < 0x21 || c > 0x7e) {
            out.error = "themis.bearer token has a character a bearer token "
                        "cannot have";
            break;
          }
      out.offered = true;
    } else if (starts(tok, tenant_protocol_prefix)) {
      if (out.tenant_offered)
        out.error = "more than one themis.tenant subprotocol";
      else if (tok.size() == tenant_protocol_prefix.size())
        out.error = "themis.tenant subprotocol without a tenant";
      out.tenant = std::string(tok.substr(tenant_protocol_prefix.size()));
      out.tenant_offered = true;
    } else {
      if (!out.rest.empty())
        out.rest += ", ";
      out.rest += tok;
    }
    return true;
  });
  if (!out.error.empty()) {
    out.token.clear();
    out.tenant.clear();
  }
  return out;
}

/// Applies take_bearer_protocol to a WebSocket upgrade request: every
/// `Sec-WebSocket-Protocol` line is replaced by one without the
/// credential (none if nothing else was offered), the token becomes
/// `Authorization: Bearer` and the tenant `X-Tenant-ID`. A request that
/// already carries `Authorization` or `X-API-Key` and a credential (or
/// `X-Tenant-ID` and a tenant) is refused: which of two counts must never
/// be a guess. Requests that are no
/// WebSocket upgrade are left alone. Returns the refusal's message.
inline std::optional<std::string> lift_bearer_protocol(api_request& req) {
  auto up = req.header("Upgrade");
  if (!up || !iequals(*up, "websocket"))
    return std::nullopt;
  std::string offered;
  bool any = false;
  for (auto& [k, v] : req.headers)
    if (iequals(k, "Sec-WebSocket-Protocol")) {
      if (any)
        offered += ", ";
      offered += v;
      any = true;
    }
  if (!any)
    return std::nullopt;
  auto c = take_bearer_protocol(offered);
  if (!c.offered && !c.tenant_offered)
    return std::nullopt;
  if (!c.error.empty())
    return c.error;
  if (c.offered && (req.header("Authorization") || req.header("X-API-Key")))
    return "a themis.bearer subprotocol and an Authorization or X-API-Key "
           "header: send one credential";
  if (c.tenant_offered && req.header("X-Tenant-ID"))
    return "a themis.tenant subprotocol and an X-Tenant-ID header: send one";
  std::erase_if(req.headers, [](auto& h) {
    return iequals(h.first, "Sec-WebSocket-Protocol");
  });
  if (!c.rest.empty())
    req.headers.emplace_back("Sec-WebSocket-Protocol", std::move(c.rest));
  if (c.offered)
    req.headers.emplace_back("Authorization", "Bearer " + c.token);
  if (c.tenant_offered)
    req.headers.emplace_back("X-Tenant-ID", std::move(c.tenant));
  return std::nullopt;
}

} // namespace themis::ws
