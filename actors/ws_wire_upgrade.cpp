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

void http_connection_state::on_binary(std::string message) {
  // a binary encoding's client message: the same JSON object
  auto text = ws_codec.decode(message);
  if (!text) {
    close(1007, "not a valid message in the negotiated encoding (at most " +
                  std::to_string(ws::max_binary_client_message) + " bytes)");
    return;
  }
  on_text(std::move(*text));
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
  ws_codec.negotiate(ctx->config, ext ? *ext : std::string(), u->answer);
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
  o.counters = ctx->metrics.ws_counters(
    which == wire_protocol::mqtt ? ws_endpoint::mqtt : ws_endpoint::pg);
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
  auto o = ws_codec.session_options(ctx->config);
  o.accept_text = false; // MQTT 5.0 §6.0: binary frames only (1003)
  o.accept_binary = true;
  auto which = wire_pending;
  o.counters = ctx->metrics.ws_counters(
    which == wire_protocol::mqtt ? ws_endpoint::mqtt : ws_endpoint::pg);
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
