/// MQTT and PostgreSQL over WebSocket over HTTP/3 (RFC 9220) on the QUIC
/// connection actor: an extended CONNECT at mqtt.ws_path or pg.ws_path
/// gets the checks of the TCP paths (ws_wire_check) and, accepted, a wire
/// actor fed by the request stream through ws_stream_tunnels, the same
/// code that carries them over HTTP/2 streams (it takes the session as an
/// http_front). Members of h3_connection_state.

#include "actors/h3_connection_state.hpp"
#include "actors/ws_wire_check.hpp"

namespace themis::detail {

bool h3_connection_state::try_wire(uint64_t id, const api_request& req) {
  auto u = check_wire_upgrade(*ctx, req);
  if (!u)
    return false;
  if (!u->accepted) {
    session->respond(id, std::move(u->answer));
    return true;
  }
  auto ext = req.header("Sec-WebSocket-Extensions");
  auto o = wire_tunnel_options(*ctx, ext ? *ext : std::string(), u->answer);
  o.counters = ctx->metrics.ws_counters(
    u->kind == wire_kind::mqtt ? ws_endpoint::mqtt : ws_endpoint::pg);
  if (!wire_tunnels)
    wire_tunnels =
      std::make_unique<ws_stream_tunnels>([this] { return session.get(); },
                                          [this](uint64_t sid, uint32_t code) {
                                            if (session)
                                              session->reset_stream(sid, code);
                                          });
  wire_opening = http_connection_state::wire_start{id, u->kind, std::move(o)};
  session->respond(id, std::move(u->answer)); // a 200 → on_tunnel_open
  wire_opening.reset();
  return true;
}

void h3_connection_state::on_tunnel_open(uint64_t id) {
  if (channel_opening && channel_opening->stream_id() == id) {
    channel = std::move(channel_opening); // a changefeed WebSocket
    channel_opening.reset();
    return;
  }
  if (!wire_opening || wire_opening->id != id)
    return;
  // no client certificates over QUIC (docs/http3.md): no subject
  wire_tunnels->open(id, wire_opening->kind, std::move(wire_opening->opts),
                     caf::actor_cast<caf::actor>(self), ctx, peer, {});
  if (ctx->metrics.draining)
    wire_tunnels->drain();
  wire_opening.reset();
}

void h3_connection_state::on_tunnel_data(uint64_t id, std::string_view bytes,
                                         bool end) {
  if (wire_tunnels && wire_tunnels->owns(id))
    wire_tunnels->on_data(id, bytes, end);
  else if (auto c = channel; c && c->stream_id() == id)
    c->on_data(bytes, end); // (h3_ws_channel.cpp)
}

caf::message_handler h3_connection_state::wire_behavior() {
  auto* s = self;
  auto* st = this; // (the actor's state: lives as long as the behavior)
  auto tunnels = [st]() -> ws_stream_tunnels* {
    return st->session ? st->wire_tunnels.get() : nullptr;
  };
  return {
    [=](wire_out_atom, uint64_t id, std::string& bytes) {
      if (auto* t = tunnels())
        t->on_out(id, std::move(bytes));
      st->after_io();
    },
    [=](wire_end_atom, uint64_t id) {
      if (auto* t = tunnels(); t && t->on_end(id)) // linger as on HTTP/2
        s->delayed_send(s, std::chrono::seconds(5), wire_linger_atom::value,
                        id);
      st->after_io();
    },
    [=](wire_abort_atom, uint64_t id) {
      if (auto* t = tunnels())
        t->on_abort(id);
      st->after_io();
    },
    [=](wire_linger_atom, uint64_t id) {
      if (auto* t = tunnels())
        t->on_linger(id);
      st->after_io();
    },
  };
}

} // namespace themis::detail
