#pragma once
/// Extended CONNECT (RFC 8441 on HTTP/2, RFC 9220 on HTTP/3) shown to the
/// WebSocket handlers as the HTTP/1.1 upgrade they know, and their answer
/// turned back: both multiplexed sessions share these two steps, so the
/// handlers stay protocol-blind.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "themis/api_message.hpp"

namespace themis::ws {

/// RFC 6455 §1.3's sample nonce: valid, so the shared 101 path accepts
/// it; its Sec-WebSocket-Accept is dropped from the 200 (there is no key
/// in RFC 8441 §5 / RFC 9220 §3).
inline constexpr const char* connect_placeholder_key =
  "dGhlIHNhbXBsZSBub25jZQ==";

/// The CONNECT request (`:protocol websocket`) as a GET upgrade.
inline void connect_as_upgrade(api_request& r) {
  r.method = "GET";
  std::erase_if(r.headers, [](auto& h) {
    return iequals(h.first, "sec-websocket-key") ||
           iequals(h.first, "upgrade") || iequals(h.first, "connection");
  });
  r.headers.emplace_back("upgrade", "websocket");
  r.headers.emplace_back("connection", "Upgrade");
  r.headers.emplace_back("sec-websocket-key", connect_placeholder_key);
}

/// The handler's 101 as the streamed 200 that opens the tunnel (its
/// negotiated subprotocol and extensions kept).
inline api_response upgrade_as_connect_ok(const api_response& resp) {
  api_response ok;
  ok.status = 200;
  ok.stream = true; // the WebSocket's bytes follow as DATA
  for (auto& [k, v] : resp.headers)
    if (!iequals(k, "sec-websocket-accept") && !iequals(k, "upgrade") &&
        !iequals(k, "connection"))
      ok.headers.emplace_back(k, v);
  return ok;
}

/// A refusal kept as it is; a 2xx from a route that is no WebSocket
/// endpoint would read as an open tunnel (RFC 8441 §5), so it becomes 400.
inline api_response refused_connect(api_response resp) {
  if (resp.status >= 300)
    return resp;
  api_response r;
  r.status = 400;
  r.headers.emplace_back("content-type", "application/json");
  r.body = "{\"error\":true,\"code\":400,\"message\":\"not a WebSocket "
           "endpoint\"}";
  return r;
}

/// The tunnel is open (its 200 submitted): the session's callbacks `cb`
/// get it, then the bytes that came before the answer and the client's
/// end if that came too. `alive()`: the stream still exists (a callback
/// may have closed it).
template <class Callbacks, class Alive>
void open_tunnel(Callbacks& cb, uint64_t id, std::string pending, bool ended,
                 Alive alive) {
  cb.on_tunnel_open(id);
  if (!pending.empty() && alive())
    cb.on_tunnel_data(id, pending, false);
  if (ended && alive())
    cb.on_tunnel_data(id, {}, true);
}

/// DATA on a tunnel stream: passed on once open, dropped after a refusal,
/// kept before the answer (the handler may wait for authentication).
/// False: more than `max` kept, the stream is to be reset.
template <class Callbacks>
bool tunnel_bytes(Callbacks& cb, uint64_t id, bool open, bool responded,
                  std::string& pending, std::string_view bytes, size_t max) {
  if (open)
    cb.on_tunnel_data(id, bytes, false);
  else if (!responded && pending.size() + bytes.size() > max)
    return false;
  else if (!responded)
    pending.append(bytes);
  return true;
}

} // namespace themis::ws
