/// WebSocket extensions for every endpoint (permessage-deflate, the
/// changefeed's binary encodings) and the wire protocols carried over
/// WebSocket: MQTT at mqtt.ws_path (docs/mqtt.md) and PostgreSQL at
/// pg.ws_path (docs/postgres.md). Members of http_connection_state.

#include "actors/http_connection_state.hpp"
#include "actors/mqtt_connection.hpp"
#include "actors/pg_connection.hpp"
#include "actors/ws_transport.hpp"
#include "actors/ws_wire_check.hpp"

namespace themis::detail {

ws::ws_options http_connection_state::ws_session_options() const {
  ws::ws_options o;
  o.limits.max_frame_payload = ctx->config.http.max_body_bytes;
  o.max_message = ctx->config.http.max_body_bytes;
  o.deflate = ws_deflate;
  // a binary encoding also takes the client's messages in it
  o.accept_binary = ws_encoding != ws::message_encoding::json;
  return o;
}

void http_connection_state::negotiate_ws(const std::string& extensions,
                                         api_response& resp) {
  ws::deflate_config dc;
  dc.enabled = ctx->config.http.ws_deflate;
  auto n = ws::negotiate_deflate(extensions, dc);
  ws_deflate = n.params;
  if (!n.response.empty())
    resp.set_header("Sec-WebSocket-Extensions", n.response);
  ws_encoding = ws::message_encoding::json;
  for (auto& [k, v] : resp.headers)
    if (iequals(k, "Sec-WebSocket-Protocol"))
      ws_encoding = ws::pick_encoding(v);
}

void http_connection_state::on_binary(std::string message) {
  // a binary encoding's client message: the same JSON object
  auto text = ws::decode_to_json_text(message, ws_encoding);
  if (!text) {
    close(1007, "not a valid message in the negotiated encoding (at most " +
                  std::to_string(ws::max_binary_client_message) + " bytes)");
    return;
  }
  on_text(std::move(*text));
}

void http_connection_state::ws_send_message(std::string text) {
  bool resized = ws_deflate || ws_encoding != ws::message_encoding::json;
  if (!resized) {
    ws->send_text(text);
    return;
  }
  auto before = ws->bytes_sent();
  auto n = text.size();
  // the overflow notice follows messages that may have been dropped
  // unsent (discard_queued): it must not refer to them through the
  // compression context, so it goes plain
  bool compress = text.rfind("{\"type\":\"overflow\"", 0) != 0;
  if (ws_encoding == ws::message_encoding::json) {
    ws->send_text(text, compress);
  } else if (auto bin = ws::encode_json_text(text, ws_encoding)) {
    ws->send_binary(*bin, compress);
  } else {
    ws->send_text(text, compress); // (never: the handlers write JSON)
  }
  // the handler counts the text and its frame header (ws_changefeed::put)
  ws_sizes.emplace_back(ws->bytes_sent() - before, n + (n < 126     ? 2
                                                        : n < 65536 ? 4
                                                                    : 10));
  // only messages that may still be unsent matter: forget older ones
  size_t wire = 0, unsent = conn->queued_bytes();
  auto keep = ws_sizes.size();
  for (auto it = ws_sizes.rbegin(); it != ws_sizes.rend(); ++it) {
    wire += it->first;
    if (wire > unsent + (64u << 10)) {
      keep = static_cast<size_t>(it - ws_sizes.rbegin()) + 1;
      break;
    }
  }
  while (ws_sizes.size() > keep && ws_sizes.size() > 1)
    ws_sizes.pop_front();
}

size_t http_connection_state::ws_logical(size_t wire_unsent) const {
  // the newest messages are the unsent ones: their logical sizes, the one
  // cut by the write in flight in proportion
  size_t logical = 0;
  for (auto it = ws_sizes.rbegin(); it != ws_sizes.rend() && wire_unsent;
       ++it) {
    if (it->first <= wire_unsent) {
      logical += it->second;
      wire_unsent -= it->first;
    } else {
      logical += it->second * wire_unsent / std::max<size_t>(it->first, 1);
      wire_unsent = 0;
    }
  }
  return logical + wire_unsent; // (pings and pongs as they are)
}

bool http_connection_state::try_wire_upgrade(uint64_t id, api_request& req) {
  auto u = check_wire_upgrade(*ctx, req); // (actors/ws_wire_check.cpp)
  if (!u)
    return false;
  if (!u->accepted) {
    session->respond(id, std::move(u->answer));
    want_read();
    return true;
  }
  auto which =
    u->kind == wire_kind::mqtt ? wire_protocol::mqtt : wire_protocol::pg;
  auto ext = req.header("Sec-WebSocket-Extensions");
  if (session->multiplexed()) { // an extended CONNECT (RFC 8441)
    open_wire_tunnel(id, which, std::move(u->answer),
                     ext ? *ext : std::string());
    return true;
  }
  ws_encoding = ws::message_encoding::json;
  negotiate_ws(ext ? *ext : std::string(), u->answer);
  wire_pending = which;
  session->respond(id, std::move(u->answer)); // → on_upgraded → start_wire
  return true;
}

void http_connection_state::open_wire_tunnel(uint64_t id, wire_protocol which,
                                             api_response r,
                                             const std::string& extensions) {
  // (the connection's own WebSocket, a changefeed on another stream,
  // keeps its negotiated parameters: this tunnel's are its own)
  auto o = wire_tunnel_options(*ctx, extensions, r);
  if (!wire_tunnels)
    wire_tunnels = std::make_unique<ws_stream_tunnels>(
      [this] { return session.get(); },
      [this](uint64_t sid, uint32_t code) {
        if (auto* h2 = dynamic_cast<http2::h2_session*>(session.get()))
          h2->reset_stream(sid, code);
      });
  wire_opening = wire_start{
    id, which == wire_protocol::mqtt ? wire_kind::mqtt : wire_kind::pg,
    std::move(o)};
  session->respond(id, std::move(r)); // a 200 → on_tunnel_open
  wire_opening.reset();
  want_read();
}

void http_connection_state::start_wire(std::string leftover) {
  auto o = ws_session_options();
  o.accept_text = false; // MQTT 5.0 §6.0: binary frames only (1003)
  o.accept_binary = true;
  auto which = wire_pending;
  wire_pending = wire_protocol::none;
  auto transport = std::make_shared<themis::ws_transport>(conn, std::move(o));
  if (which == wire_protocol::mqtt)
    handoff = spawn_mqtt_connection(*ctx->system, transport, ctx);
  else
    handoff = spawn_pg_over_ws(*ctx->system, transport, ctx);
  // either ending ends the other (a kill at shutdown reaches the session;
  // a normal end of the session leaves this actor until the socket closes)
  self->link_to(handoff);
  self->monitor(handoff); // its end (it has the socket's close) ends us
  if (ctx->metrics.draining)
    self->send(handoff, drain_atom::value);
  if (!leftover.empty())
    self->send(handoff, data_atom::value, std::move(leftover));
}

} // namespace themis::detail
