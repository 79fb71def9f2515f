/// Changefeed subscribers on a connection: SSE streams and WebSocket
/// channels (see http_connection_state.hpp).

#include "actors/http_connection_state.hpp"

namespace themis::detail {

void http_connection_state::close() {
  closed = true;
  conn->close_after_writes();
}

void http_connection_state::start_stream(std::shared_ptr<stream_handler> h,
                                         uint32_t tick_ms) {
  if (stream || channel) {
    // One stream per connection: end the newcomer at once.
    stream_out(current_id, "event: error\ndata: {\"error\":true,\"message\":"
                           "\"one stream per connection\"}\n\n");
    stream_close(current_id);
    return;
  }
  auto hub = registered(*ctx->system, changefeed_hub_name);
  auto gen = ++stream_gen;
  stream = active_stream{current_id, gen, h, tick_ms, hub, false, {}, 0};
  if (!hub || ctx->metrics.draining) {
    h->on_shutdown(*this,
                   hub ? "server shutting down" : "changefeed unavailable");
    return;
  }
  subscribe_to_hub(
    hub,
    [this, gen](uint64_t tip) {
      if (!is_current(gen) || stream->subscribed)
        return;
      auto h = stream->handler; // may end (and reset) the stream
      guarded([&] { h->on_subscribed(*this, tip); });
      continue_backfill(gen);
    },
    [this, gen](caf::error&) {
      if (!is_current(gen))
        return;
      auto h = stream->handler;
      guarded([&] { h->on_shutdown(*this, "changefeed unavailable"); });
    });
  self->delayed_send(self, std::chrono::milliseconds(tick_ms),
                     stream_tick_atom::value, gen);
}

void http_connection_state::continue_backfill(uint64_t gen) {
  if (!is_current(gen))
    return;
  if (conn->queued_writes() > 2 ||
      (stream && session->stream_backlog(stream->id) > 0)) {
    self->delayed_send(self, std::chrono::milliseconds(5), backfill_atom::value,
                       gen);
    return;
  }
  auto h = stream->handler;
  bool more = false;
  guarded([&] { more = h->backfill(*this); });
  if (!is_current(gen))
    return;
  if (more) {
    self->send(self, backfill_atom::value, gen);
    return;
  }
  stream->subscribed = true;
  auto early = std::move(stream->early);
  stream->early_events = 0;
  for (auto& b : early)
    if (is_current(gen))
      guarded([&] { h->on_events(*this, *b); });
}

void http_connection_state::on_publish(const published_batch& b) {
  if (channel) {
    if (channel->failed)
      return;
    if (!channel->open) {
      channel->early.push_back(b);
      return;
    }
    auto h = channel->handler;
    guarded([&] { h->on_events(*this, *b); });
    return;
  }
  if (!stream)
    return;
  if (!stream->subscribed) {
    stream->early.push_back(b);
    stream->early_events += b->events.size();
    if (stream->early_events > ctx->config.changefeed.max_queue_events) {
      auto h = stream->handler;
      guarded([&] {
        h->on_shutdown(*this, "overflow: live events during the backfill",
                       true);
      });
    }
    return;
  }
  auto h = stream->handler;
  guarded([&] { h->on_events(*this, *b); });
}

void http_connection_state::on_stream_tick(uint64_t gen) {
  if (!is_current(gen))
    return;
  auto h = stream->handler;
  guarded([&] { h->on_tick(*this); });
  if (is_current(gen))
    self->delayed_send(self, std::chrono::milliseconds(stream->tick_ms),
                       stream_tick_atom::value, gen);
}

void http_connection_state::shutdown_stream(const std::string& why) {
  if (!stream)
    return;
  auto h = stream->handler;
  guarded([&] { h->on_shutdown(*this, why); });
}

/// What a handler writes when it ends a subscriber that fell behind (the
/// documented overflow notices, changefeeds.md).
static bool is_overflow_notice(std::string_view bytes, bool ws) {
  static constexpr std::string_view sse =
    "event: error\ndata: {\"error\":true,\"message\":\"overflow";
  static constexpr std::string_view wsn = "{\"type\":\"overflow\"";
  auto want = ws ? wsn : sse;
  return bytes.substr(0, want.size()) == want;
}

void http_connection_state::write(std::string bytes) {
  if (!stream)
    return;
  if (is_overflow_notice(bytes, false))
    stream_overflowed = true; // end() closes: the client is far behind
  stream_out(stream->id, bytes);
}

void http_connection_state::end() {
  if (!stream)
    return;
  auto id = stream->id;
  if (stream->hub) {
    self->demonitor(stream->hub.address());
    self->send(stream->hub, unsub_atom::value,
               caf::actor_cast<caf::actor>(self));
  }
  stream.reset(); // callers hold their own reference to the handler
  stream_close(id);
  if (stream_overflowed && !session->multiplexed()) {
    // What is queued (bounded) goes out if the client reads; one that
    // does not is cut off when the close deadline passes.
    closed = true;
    conn->close_after_writes();
    self->delayed_send(self, std::chrono::seconds(5), ws_timeout_atom::value);
    return;
  }
  want_read();
}

size_t http_connection_state::queued() const {
  // bytes, not writes; the write in flight counts as delivered (it cannot
  // be taken back; everything behind it can, see send_text)
  auto all = conn->queued_bytes();
  auto inflight = conn->inflight_bytes();
  if (ws && ws_codec.resized())
    return ws_codec.logical(all > inflight ? all - inflight : 0);
  return (all > inflight ? all - inflight : 0) +
         (stream ? session->stream_backlog(stream->id) : 0) +
         (ws_stream ? session->stream_backlog(ws_stream) : 0);
}

bool http_connection_state::start_h2() {
  auto& hc = ctx->config.http;
  http2::h2_options o;
  o.max_concurrent_streams = hc.h2_max_concurrent_streams;
  o.initial_window_size = hc.h2_initial_window_size;
  o.max_frame_size = hc.h2_max_frame_size;
  o.max_header_list_size = hc.h2_max_header_list_size;
  o.max_body_bytes = hc.max_body_bytes;
  o.idle_timeout_ms = hc.idle_timeout_ms;
  o.header_timeout_ms = hc.header_timeout_ms;
  o.body_timeout_ms = hc.body_timeout_ms;
  o.max_headers = hc.max_headers;
  o.server_name = hc.server_name;
  o.remote_addr = conn->remote_address();
  auto h2 = std::make_unique<http2::h2_session>(o, *this);
  auto* raw = h2.get();
  retired = std::move(session); // (we may be inside one of its calls)
  session = std::move(h2);
  protocol_known = true;
  bool ok = true;
  if (h2c) {
    auto up = std::move(*h2c);
    h2c.reset();
    ok = raw->upgrade(up.settings, std::move(up.req), up.head);
  }
  // after the upgrade: its stream 1 is one the GOAWAY lets finish
  if (ctx->metrics.draining)
    session->drain();
  return ok;
}

void http_connection_state::on_http_data(const std::string& bytes) {
  retired.reset();
  ws_retired.reset(); // (an RFC 8441 tunnel that ended)
  ws_transport_retired.reset();
  if (protocol_known) {
    session->on_data(bytes);
    return;
  }
  // TLS: ALPN decides, strictly (RFC 9113 §3.3, RFC 7301). After `h2`
  // the connection must start with the preface (else nghttp2 answers
  // GOAWAY PROTOCOL_ERROR); after `http/1.1` it never becomes HTTP/2 (a
  // preface there is an HTTP/1.1 request with method PRI: 400 and close).
  if (conn->tls() && !conn->alpn().empty()) {
    protocol_known = true;
    if (conn->alpn() == "h2")
      start_h2();
    session->on_data(bytes);
    return;
  }
  // RFC 9113 §3.4: an HTTP/2 client (prior knowledge, or TLS without
  // ALPN) starts with this preface; anything else is HTTP/1.1
  static const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  first_bytes += bytes;
  auto n = std::min(first_bytes.size(), preface.size());
  if (first_bytes.compare(0, n, preface, 0, n) == 0 &&
      first_bytes.size() < preface.size())
    return; // could still be the preface
  bool is_h2 = first_bytes.compare(0, n, preface, 0, n) == 0;
  protocol_known = true;
  auto data = std::move(first_bytes);
  first_bytes.clear();
  if (is_h2)
    start_h2();
  session->on_data(data);
}

bool http_connection_state::on_peer_eof() {
  if (ws || closed)
    return false;
  if (!protocol_known) {
    if (first_bytes.empty())
      return false;
    // a short HTTP/1.1 request that could have been the start of the
    // HTTP/2 preface: no more bytes come, so it is HTTP/1.1
    protocol_known = true;
    auto data = std::move(first_bytes);
    first_bytes.clear();
    session->on_data(data);
  }
  if (session->multiplexed())
    return false;
  guarded([&] { static_cast<http1::http1_session&>(*session).on_peer_eof(); });
  want_read();
  return true;
}

void http_connection_state::on_upgraded(std::string leftover) {
  if (gw_tunnel) { // issue 23: the gateway's WebSocket pass-through
    gateway_tunnel_in(std::move(leftover));
    return;
  }
  if (h2c) {
    if (!start_h2()) {
      closed = true;
      conn->close_after_writes();
      return;
    }
    if (!leftover.empty())
      session->on_data(leftover);
    return;
  }
  if (wire_pending != wire_protocol::none) {
    start_wire(std::move(leftover)); // actors/ws_wire_upgrade.cpp
    return;
  }
  ws = std::make_unique<ws::ws_session>(ws_codec.session_options(ctx->config),
                                        *this);
  ws_pending = std::move(leftover);
  if (deferred_channel) {
    auto [h, ping] = std::move(*deferred_channel);
    deferred_channel.reset();
    start_channel(std::move(h), ping);
  }
}

void http_connection_state::start_channel(std::shared_ptr<channel_handler> h,
                                          uint32_t ping_ms) {
  if (refuse_next_channel) {
    refuse_next_channel = false; // the upgrade was refused
    return;
  }
  if (channel)
    return;
  if (!ws) {
    deferred_channel.emplace(std::move(h), ping_ms);
    return;
  }
  ws->count_into(ctx->metrics.ws_counters(h->endpoint()));
  auto hub = registered(*ctx->system, changefeed_hub_name);
  auto gen = ++stream_gen;
  channel = active_channel{gen, h, ping_ms, hub, false, false, {}};
  if (!hub || ctx->metrics.draining) {
    channel->failed = true;
    close(1001, hub ? "server shutting down" : "changefeed unavailable");
    return;
  }
  subscribe_to_hub(
    hub,
    [this, gen](uint64_t tip) {
      if (!channel || channel->gen != gen)
        return;
      channel->open = true;
      auto h = channel->handler;
      guarded([&] {
        h->on_open(*this, tip);
        kick_ws_backfill();
        auto early = std::move(channel->early);
        for (auto& b : early)
          h->on_events(*this, *b);
        auto bytes = std::move(ws_pending);
        ws_pending.clear();
        if (!bytes.empty())
          ws->on_data(bytes);
      });
    },
    [this, gen](caf::error&) {
      if (!channel || channel->gen != gen)
        return;
      channel->failed = true;
      channel->early.clear();
      if (channel->hub)
        self->send(channel->hub, unsub_atom::value,
                   caf::actor_cast<caf::actor>(self));
      close(1011, "changefeed unavailable");
    });
  self->delayed_send(self, std::chrono::milliseconds(ping_ms),
                     ws_ping_atom::value, gen);
}

void http_connection_state::on_ws_data(const std::string& bytes) {
  if (ws->closing() || (channel && channel->failed)) {
    // closing: only the peer's close frame matters now
    auto all = std::move(ws_pending) + bytes;
    ws_pending.clear();
    guarded([&] { ws->on_data(all); });
    return;
  }
  if (!channel || !channel->open) {
    ws_pending += bytes;
    if (ws_pending.size() > ctx->config.http.max_body_bytes)
      close(1009, "too much data before the subscription opened");
    return;
  }
  guarded([&] { ws->on_data(bytes); });
}

void http_connection_state::on_text(std::string message) {
  if (channel && channel->open) {
    auto h = channel->handler;
    h->on_message(*this, std::move(message));
    kick_ws_backfill();
  }
}

void http_connection_state::send_text(std::string text) {
  if (is_overflow_notice(text, true) && !ws_stream) {
    // (not over HTTP/2: its frames of other streams are queued too)
    // The subscriber fell behind: its queued events go, so the notice and
    // the 1011 close that follows are next on the wire, not lost behind
    // megabytes the client may never read (clear-text sockets).
    conn->discard_queued();
  }
  ws_codec.send(*ws, text, conn->queued_bytes()); // (encoded, compressed)
}

void http_connection_state::close_transport() {
  closed = true;
  conn->close_after_writes();
}

void http_connection_state::close(uint16_t code, std::string reason) {
  ws->close(code, reason);
  // the peer has a few seconds to answer the close frame
  self->delayed_send(self, std::chrono::seconds(5), ws_timeout_atom::value);
}

void http_connection_state::kick_ws_backfill() {
  if (!channel || ws_backfill_scheduled)
    return;
  ws_backfill_scheduled = true;
  self->send(self, ws_backfill_atom::value, channel->gen);
}

void http_connection_state::continue_ws_backfill(uint64_t gen) {
  ws_backfill_scheduled = false;
  if (!channel || channel->gen != gen || !channel->open || closed)
    return;
  if (conn->queued_writes() > 2 || // the client has not read the last page
      (ws_stream && session->stream_backlog(ws_stream) > 0)) {
    ws_backfill_scheduled = true;
    self->delayed_send(self, std::chrono::milliseconds(5),
                       ws_backfill_atom::value, gen);
    return;
  }
  auto h = channel->handler;
  bool more = false;
  guarded([&] { more = h->backfill_step(*this); });
  if (more)
    kick_ws_backfill();
}

} // namespace themis::detail
