#pragma once
/// The checks of a WebSocket request for a wire protocol's path (MQTT at
/// mqtt.ws_path, PostgreSQL at pg.ws_path), shared by the TCP connection
/// actor (HTTP/1.1 upgrade, HTTP/2 extended CONNECT) and the HTTP/3 one
/// (RFC 9220 extended CONNECT): what to answer does not depend on the
/// HTTP version. Private to actors/.

#include <optional>
#include <string>

#include "actors/ws_stream_tunnels.hpp"
#include "protocols/websocket/ws_session.hpp"
#include "themis/api_message.hpp"

namespace themis {

struct server_context;

struct wire_upgrade {
  wire_kind kind = wire_kind::mqtt;
  bool accepted = false;
  /// The 101 (with Sec-WebSocket-Accept and the chosen subprotocol) when
  /// accepted, else the refusal (426, 400).
  api_response answer;
};

/// nullopt when `req.path` is no wire protocol's WebSocket path (or MQTT
/// is off); otherwise RFC 6455 §4.2.1 and the subprotocol checked.
std::optional<wire_upgrade> check_wire_upgrade(const server_context& ctx,
                                               const api_request& req);

/// The WebSocket session options of a wire tunnel on a stream: binary
/// frames only (MQTT 5.0 §6.0: text is 1003), sizes from the config and
/// permessage-deflate negotiated from the client's `extensions` (the
/// answer's Sec-WebSocket-Extensions set on `resp`).
ws::ws_options wire_tunnel_options(const server_context& ctx,
                                   const std::string& extensions,
                                   api_response& resp);

} // namespace themis
