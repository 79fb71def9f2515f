/// WebSocket over HTTP/2 (RFC 8441) on the connection actor: a tunnel
/// stream gets the WebSocket session an HTTP/1.1 upgrade would get, with
/// an h2_ws_transport instead of the socket. One changefeed subscriber per
/// connection, as for SSE: a second WebSocket (or an SSE stream beside
/// one) on the same HTTP/2 connection is refused.

#include "actors/http_h2_ws.hpp"

#include "actors/http_connection_state.hpp"

namespace themis::detail {

void h2_ws_transport::on_text(std::string message) {
  st_.on_text(std::move(message));
}

void h2_ws_transport::on_binary(std::string message) {
  st_.on_binary(std::move(message));
}

void h2_ws_transport::send(std::string bytes) {
  st_.session->stream_data(id_, bytes);
}

void h2_ws_transport::close_transport() {
  st_.session->stream_end(id_);
}

bool http_connection_state::h2_ws_refused() const {
  return session->multiplexed() && (ws || stream || channel);
}

void http_connection_state::on_tunnel_open(uint64_t id) {
  if (wire_opening && wire_opening->id == id) { // /mqtt, /pg
    wire_tunnels->open(id, wire_opening->kind, std::move(wire_opening->opts),
                       caf::actor_cast<caf::actor>(self), ctx,
                       conn->remote_address(), conn->client_subject());
    wire_opening.reset();
    return;
  }
  if (ws) { // (refused in dispatch already; never two on one connection)
    if (auto* h2 = dynamic_cast<http2::h2_session*>(session.get()))
      h2->reset_stream(id, 0x7 /* REFUSED_STREAM */);
    return;
  }
  // the options an HTTP/1.1 upgrade gets (permessage-deflate and the
  // binary encoding ws_codec negotiated for this 101)
  ws_stream = id;
  ws_transport = std::make_unique<h2_ws_transport>(*this, id);
  ws = std::make_unique<ws::ws_session>(ws_codec.session_options(ctx->config),
                                        *ws_transport);
  if (deferred_channel) {
    auto [h, ping] = std::move(*deferred_channel);
    deferred_channel.reset();
    start_channel(std::move(h), ping);
  }
}

void http_connection_state::on_tunnel_data(uint64_t id, std::string_view bytes,
                                           bool end) {
  if (wire_tunnels && wire_tunnels->owns(id)) {
    wire_tunnels->on_data(id, bytes, end);
    return;
  }
  if (!ws || id != ws_stream)
    return;
  if (end) {
    // the client ended its side: after the close handshake that is the
    // normal end; before it, the WebSocket is gone (1006). Our side ends
    // too, the stream closes and h2_ws_end unsubscribes.
    session->stream_end(id);
    return;
  }
  on_ws_data(std::string(bytes));
}

void http_connection_state::h2_ws_end(uint64_t id) {
  if (wire_tunnels && wire_tunnels->on_stream_closed(id))
    return;
  if (!ws || id != ws_stream)
    return;
  if (channel) {
    if (channel->hub) {
      self->demonitor(channel->hub.address());
      self->send(channel->hub, unsub_atom::value,
                 caf::actor_cast<caf::actor>(self));
    }
    channel.reset(); // (callers hold their own handler reference)
  }
  deferred_channel.reset();
  ws_pending.clear();
  ws_stream = 0;
  // we may be inside the session's own call: destroyed at the next
  // message (on_http_data)
  ws_retired = std::move(ws);
  ws_transport_retired = std::move(ws_transport);
  want_read();
}

void http_connection_state::h2_ws_abort() {
  if (!ws || !ws_stream)
    return;
  if (auto* h2 = dynamic_cast<http2::h2_session*>(session.get()))
    h2->reset_stream(ws_stream, 0x8 /* CANCEL */);
}

} // namespace themis::detail
