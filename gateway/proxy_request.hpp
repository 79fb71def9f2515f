#pragma once
/// What the gateway changes on the way through (RFC 9110 §7.6): the
/// request line and headers sent upstream (path rewrite, hop-by-hop
/// headers removed, X-Forwarded-For/-Proto/-Host and Via added, the
/// route's header edits), the response headers relayed back, the
/// coalescing key and the ring-hash key. Pure functions over the
/// protocol-blind request; no sockets.

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/gateway_config.hpp"
#include "themis/api_message.hpp"

namespace themis::gateway {

/// "1.2.3.4" from "1.2.3.4:5678" or "[::1]:5678".
std::string client_ip(std::string_view remote_addr);

/// The path (percent-encoded again) with the route's prefix rewrite.
std::string upstream_target(const route_config& r, const api_request& req);

/// Whole request head and body, ready to write on an upstream connection.
std::string build_upstream_request(const route_config& r,
                                   const api_request& req, bool tls,
                                   std::string_view upstream_host);

/// The same for a WebSocket handshake (RFC 6455 §4.1): `Connection:
/// Upgrade` and the client's `Upgrade` sent on (Sec-WebSocket-* pass as
/// end-to-end headers).
std::string build_upgrade_request(const route_config& r, const api_request& req,
                                  bool tls, std::string_view upstream_host);

/// Hop-by-hop and framing headers removed (the front-end frames the
/// body), Via added, then the route's response edits.
void relay_response_headers(const route_config& r, header_list& h);

/// Whether a header is hop-by-hop (RFC 9110 §7.6.1) or framing.
bool is_hop_by_hop(std::string_view name);

/// Identical in-flight requests share one upstream call under this key:
/// method, host, path and query, and — unless the route is public — the
/// credentials presented (Authorization, X-Tenant-ID, X-API-Key, Cookie).
/// Empty: this request never coalesces (not GET/HEAD, or has a body).
std::string coalesce_key(const route_config& r, const api_request& req);

/// The ring-hash key of a request for `hash_on`.
uint64_t affinity_hash(const cluster_config& c, const api_request& req);

/// A redirect's Location: "$path" and "$query" expanded.
std::string redirect_location(const route_config& r, const api_request& req);

/// "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE" (RFC 9110 §9.2.2).
bool is_idempotent(std::string_view method);

} // namespace themis::gateway
