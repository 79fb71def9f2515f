#include "actors/http_connection_actor.hpp"

#include "actors/http_connection_state.hpp"

namespace themis {

namespace {

using detail::http_connection_state;

using connection_actor = caf::stateful_actor<http_connection_state>;

caf::behavior http_connection(connection_actor* self, connection_ptr conn,
                              std::shared_ptr<server_context> ctx) {
  auto& st = self->state;
  st.self = self;
  st.conn = conn;
  st.ctx = ctx;
  auto& hc = ctx->config.http;
  http1::session_options opts;
  opts.limits.max_header_bytes = hc.max_header_bytes;
  opts.limits.max_body_bytes = hc.max_body_bytes;
  opts.limits.max_headers = hc.max_headers;
  opts.max_pipelined = hc.max_pipelined;
  opts.header_timeout_ms = hc.header_timeout_ms;
  opts.drain_grace_ms = hc.drain_grace_ms;
  opts.body_timeout_ms = hc.body_timeout_ms;
  opts.idle_timeout_ms = hc.idle_timeout_ms;
  opts.server_name = hc.server_name;
  opts.remote_addr = conn->remote_address();
  st.session = std::make_unique<http1::http1_session>(opts, st);
  // Whatever ends this actor (normal close, exception, kill) closes the
  // socket; the tcp_connection outlives us only until its handlers finish.
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.handoff && dm.source == st.handoff.address()) {
      self->quit(); // the MQTT/PG actor had the socket (sink switched)
      return;
    }
    if (st.stream && st.stream->hub && dm.source == st.stream->hub.address()) {
      st.stream->hub = nullptr;
      st.shutdown_stream("changefeed restarted, resume");
    }
    if (st.channel && st.channel->hub &&
        dm.source == st.channel->hub.address()) {
      st.channel->hub = nullptr;
      if (st.channel->open) {
        auto h = st.channel->handler;
        st.guarded([&] { h->on_shutdown(st, "changefeed restarted, resume"); });
      } else {
        st.close(1011, "changefeed restarted, resume");
      }
    }
  });
  self->attach_functor([conn](const caf::error& reason) {
    if (reason && reason != caf::exit_reason::normal)
      spdlog::warn("http {}: connection actor ended: {}",
                   conn->remote_address(), caf::to_string(reason));
    conn->abort();
  });
  conn->set_sink(caf::actor_cast<caf::actor>(self));
  conn->set_half_close(true); // EOF arrives as empty data: on_peer_eof
  if (ctx->metrics.draining)
    st.session->drain();
  st.want_read();
  auto tick = std::chrono::milliseconds(std::clamp<uint32_t>(
    std::min({hc.header_timeout_ms, hc.body_timeout_ms, hc.idle_timeout_ms}) /
      4,
    20, 1000));
  self->delayed_send(self, tick, tick_atom::value);
  return {
    [=](data_atom, std::string& bytes) {
      auto& st = self->state;
      if (st.handoff) { // MQTT/PG over WebSocket: its actor has the bytes
        if (bytes.empty())
          self->send(st.handoff, closed_atom::value);
        else
          self->send(st.handoff, data_atom::value, std::move(bytes));
        return;
      }
      if (st.gw_tunnel) {    // issue 23: WebSocket through the gateway
        if (bytes.empty()) { // the client is gone: so is the upstream
          st.gateway_tunnel_close();
          self->quit();
          return;
        }
        st.gateway_tunnel_in(std::move(bytes));
        st.want_read();
        return;
      }
      if (bytes.empty()) { // the peer half-closed
        if (!st.on_peer_eof())
          self->quit();
        return;
      }
      if (st.ws && !st.ws_stream) // (RFC 8441: the stream's DATA instead)
        st.on_ws_data(bytes);
      else
        st.on_http_data(bytes);
      if (st.wire_tunnels) // (the client's WINDOW_UPDATEs let output out)
        st.wire_tunnels->settle();
      st.want_read();
    },
    [=](sink_switch_atom) {
      // everything read before the wire actor took the socket is relayed
      self->state.conn->finish_sink_switch();
    },
    [=](closed_atom) {
      if (self->state.handoff)
        self->send(self->state.handoff, closed_atom::value);
      self->quit();
    },
    [=](drain_check_atom) { self->state.session->check_timeouts(); },
    [=](limit_done_atom, uint64_t id, std::string& body) { // issue 25
      self->state.on_limit_answer(id, body);
    },
    [=](tick_atom) {
      auto& st = self->state;
      if (st.handoff)
        return; // the wire-protocol actor has its own timeouts
      st.session->check_timeouts();
      if (st.wire_tunnels)
        st.wire_tunnels->settle();
      st.want_read(); // (HTTP/2 pauses while its output is not read)
      if (!st.closed)
        self->delayed_send(self, tick, tick_atom::value);
    },
    [=](drain_atom) {
      auto& st = self->state;
      if (st.handoff) {
        self->send(st.handoff, drain_atom::value);
        return;
      }
      st.session->drain();
      st.gateway_tunnel_close(); // (a gateway WebSocket tunnel ends)
      if (st.wire_tunnels) // MQTT DISCONNECT 0x8B, PG 57P01 on their streams
        st.wire_tunnels->drain();
      // close an idle connection when its grace ends, not at the next tick
      self->delayed_send(self, std::chrono::milliseconds(hc.drain_grace_ms + 5),
                         drain_check_atom::value);
      st.guarded([&] { st.wake_all_waits(); }); // long-polls answer now
      st.shutdown_stream("server shutting down");
      st.guarded([&] { st.grpc_drain(); });
      if (st.channel && st.channel->open) {
        auto h = st.channel->handler;
        st.guarded([&] { h->on_shutdown(st, "server shutting down"); });
      } else if (st.ws) {
        st.close(1001, "server shutting down");
      }
    },
    [=](ws_ping_atom, uint64_t gen) {
      auto& st = self->state;
      if (!st.channel || st.channel->gen != gen || st.closed)
        return;
      st.ws->send_ping("hb");
      st.want_read();
      self->delayed_send(self, std::chrono::milliseconds(st.channel->ping_ms),
                         ws_ping_atom::value, gen);
    },
    [=](ws_backfill_atom, uint64_t gen) {
      self->state.continue_ws_backfill(gen);
    },
    [=](ws_timeout_atom) {
      // the peer did not answer our close frame in time
      if (self->state.ws_stream) { // (over HTTP/2: only its stream)
        self->state.h2_ws_abort();
        return;
      }
      self->state.closed = true;
      self->state.conn->abort();
    },
    [=](publish_atom, const published_batch& b) { self->state.on_publish(b); },
    [=](stream_tick_atom, uint64_t gen) { self->state.on_stream_tick(gen); },
    [=](backfill_atom, uint64_t gen) { self->state.continue_backfill(gen); },
    [=](gw_body_atom, uint64_t id, bool retry) { // issue 23: streamed body
      auto& st = self->state;
      if (retry)
        if (auto it = st.gw_relays.find(id); it != st.gw_relays.end())
          it->second.retry = false;
      st.guarded([&] { st.gateway_pump(id); });
    },
    [=](grpc_pump_atom, uint64_t id, uint64_t gen) {
      self->state.grpc_pump(id, gen);
    },
    [=](grpc_deadline_atom, uint64_t id, uint64_t gen) {
      self->state.grpc_deadline(id, gen);
    },
    // MQTT / PostgreSQL over WebSocket on HTTP/2 streams
    // (actors/ws_stream_tunnels.hpp)
    [=](wire_out_atom, uint64_t id, std::string& bytes) {
      auto& st = self->state;
      if (st.wire_tunnels)
        st.wire_tunnels->on_out(id, std::move(bytes));
      st.want_read();
    },
    [=](wire_end_atom, uint64_t id) {
      auto& st = self->state;
      if (st.wire_tunnels && st.wire_tunnels->on_end(id))
        self->delayed_send(self, std::chrono::seconds(5),
                           wire_linger_atom::value, id);
      st.want_read();
    },
    [=](wire_abort_atom, uint64_t id) {
      if (self->state.wire_tunnels)
        self->state.wire_tunnels->on_abort(id);
    },
    [=](wire_linger_atom, uint64_t id) {
      if (self->state.wire_tunnels)
        self->state.wire_tunnels->on_linger(id);
    },
  };
}

} // namespace

caf::actor spawn_http_connection(caf::actor_system& sys, connection_ptr conn,
                                 std::shared_ptr<server_context> ctx) {
  return sys.spawn(http_connection, std::move(conn), std::move(ctx));
}

} // namespace themis
