/// One actor per QUIC connection: datagrams from the h3_udp demux in, the
/// h3_session's datagrams out through the shared socket, its timer as a
/// delayed message, requests to the router (see h3_connection_state.hpp;
/// the ports are in h3_connection_ports.cpp).

#include "actors/h3_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "actors/h3_connection_state.hpp"
#include "actors/ip_slots.hpp"

namespace themis {

namespace detail {

void h3_connection_state::on_cid(std::string_view cid, bool added) {
  std::string key(cid);
  if (added) {
    cids.insert(key);
    udp->add_cid(key, caf::actor_cast<caf::actor>(self));
  } else {
    cids.erase(key);
    udp->remove_cid(key);
  }
}

void h3_connection_state::on_handshake() {
  if (!counted_handshake) {
    counted_handshake = true;
    ++udp->metrics().handshakes;
  }
}

void h3_connection_state::close() {
  closed = true;
}

void h3_connection_state::on_stream_reset(uint64_t id) {
  stream_coders.erase(id);
  if (wire_tunnels && wire_tunnels->on_stream_closed(id))
    return; // a WebSocket tunnel ended (RFC 9220; h3_wire.cpp)
  if (end_channel(id))
    return; // a changefeed WebSocket ended (h3_ws_channel.cpp)
  if (stream && stream->id == id)
    end(); // the client went away from this SSE stream: unsubscribe
}

void h3_connection_state::after_io() {
  flush(); // (what the session wrote, the CONNECTION_CLOSE included)
  if (closed || !session || session->finished()) {
    if (session && session->established())
      udp->metrics().observe_rtt(session->smoothed_rtt_ns());
    self->quit();
    return;
  }
  auto at = session->expiry_ns();
  if (at == UINT64_MAX || at >= timer_at)
    return; // the scheduled timer comes first (it re-arms itself)
  timer_at = at;
  auto now = now_ns();
  auto delay = at > now ? at - now : 0;
  // whole milliseconds, rounded up (CAF timers); at least 1 ms
  auto ms = std::max<uint64_t>(1, (delay + 999999) / 1000000);
  self->delayed_send(self, std::chrono::milliseconds(ms), h3_timer_atom::value,
                     ++timer_gen);
}

void h3_connection_state::dispatch(uint64_t id, api_request req) {
  auto outer_id = current_id;
  current_id = id;
  struct restore {
    uint64_t& ref;
    uint64_t value;
    ~restore() { ref = value; }
  } restore_id{current_id, outer_id};
  std::string why;
  if (int st = compression::decode_request(req, ctx->coding, why)) {
    auto r = error_response(st, why);
    if (st == 415)
      r.headers.emplace_back("Accept-Encoding", "gzip, br, zstd");
    session->respond(id, std::move(r));
    return;
  }
  if (try_wire(id, req)) // /mqtt, /pg over RFC 9220 (h3_wire.cpp)
    return;
  auto ae_header = req.header("Accept-Encoding");
  std::optional<std::string> accept;
  if (ae_header)
    accept = *ae_header;
  auto ext_header = req.header("Sec-WebSocket-Extensions");
  std::string ws_ext = ext_header ? *ext_header : std::string();
  auto respond = [this, id, ws_ext,
                  accept = std::move(accept)](api_response resp) {
    auto* ae = accept ? &*accept : nullptr;
    if (resp.status == 101) // a changefeed WebSocket (h3_ws_channel.cpp)
      accept_channel(id, ws_ext, resp);
    if (resp.stream) {
      if (auto c = compression::encode_stream(ae, resp, ctx->coding))
        stream_coders[id] = std::move(c);
    } else {
      compression::encode_response(ae, resp, ctx->coding);
    }
    if (session)
      session->respond(id, std::move(resp)); // a 101: on_tunnel_open
    channel_opening.reset();                 // (adopted, or its stream is gone)
  };
  try {
    ctx->router->handle(std::move(req),
                        request_ports{*this, *this, *this, *this, *this},
                        respond);
  } catch (const actor_crash&) {
    ++ctx->metrics.handler_crashes;
    throw;
  } catch (const std::exception& e) {
    ++ctx->metrics.handler_crashes;
    spdlog::error("h3 {}: handler exception: {}", peer, e.what());
    session->respond(id, error_response(500, "internal error"));
  }
}

std::string printable(const std::string& raw) {
  auto ip = peer_ip(raw);
  if (raw.size() >= sizeof(sockaddr_in) &&
      reinterpret_cast<const sockaddr*>(raw.data())->sa_family == AF_INET)
    return ip + ":" +
           std::to_string(
             ntohs(reinterpret_cast<const sockaddr_in*>(raw.data())->sin_port));
  if (raw.size() >= sizeof(sockaddr_in6))
    return "[" + ip + "]:" +
           std::to_string(ntohs(
             reinterpret_cast<const sockaddr_in6*>(raw.data())->sin6_port));
  return ip;
}

} // namespace detail

std::string peer_ip(const std::string& raw) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (raw.size() >= sizeof(sockaddr_in) &&
      reinterpret_cast<const sockaddr*>(raw.data())->sa_family == AF_INET)
    inet_ntop(AF_INET,
              &reinterpret_cast<const sockaddr_in*>(raw.data())->sin_addr, buf,
              sizeof buf);
  else if (raw.size() >= sizeof(sockaddr_in6))
    inet_ntop(AF_INET6,
              &reinterpret_cast<const sockaddr_in6*>(raw.data())->sin6_addr,
              buf, sizeof buf);
  return buf;
}

namespace {

using detail::h3_connection_state;
using h3_actor = caf::stateful_actor<h3_connection_state>;

caf::behavior h3_connection(h3_actor* self, std::shared_ptr<server_context> ctx,
                            std::shared_ptr<h3_udp> udp,
                            http3::initial_info first, std::string ip_slot) {
  auto& st = self->state;
  st.self = self;
  st.ctx = ctx;
  st.udp = udp;
  st.remote = first.remote;
  st.peer = detail::printable(first.remote);
  auto& hc = ctx->config.http;
  auto& tc = ctx->config.tls;
  http3::h3_options o;
  o.max_streams = tc.h3_max_streams;
  o.max_data = tc.h3_max_data;
  o.max_stream_data = tc.h3_max_stream_data;
  o.idle_timeout_ms = hc.idle_timeout_ms;
  o.handshake_timeout_ms = tc.handshake_timeout_ms;
  o.max_body_bytes = hc.max_body_bytes;
  o.max_header_list_size = hc.h2_max_header_list_size;
  o.max_headers = hc.max_headers;
  o.cc = tc.h3_cc;
  o.server_name = hc.server_name;
  o.remote_addr = st.peer;
  o.static_secret = udp->secret();
  ++udp->metrics().connections;
  ++udp->metrics().accepted;
  ++ctx->metrics.open_connections; // (the drain waits for these too)
  self->attach_functor(
    [udp, ctx, ip_slot, self_addr = self->address()](const caf::error&) {
      if (!ip_slot.empty())
        release_ip_slot(*ctx, ip_slot);
      --ctx->metrics.open_connections;
      --udp->metrics().connections;
      udp->forget(self_addr); // its connection IDs route nowhere now
    });
  auto creds = udp->credentials();
  if (creds)
    st.session = std::make_unique<http3::h3_session>(o, st, creds, first);
  if (!st.session || !st.session->ok()) {
    spdlog::warn("h3 {}: connection set-up failed", st.peer);
    st.session.reset();
    self->quit();
    return {};
  }
  st.on_cid(st.session->scid(), true);
  st.cids.insert(first.dcid); // (the listener registered it)
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.stream && st.stream->hub && dm.source == st.stream->hub.address()) {
      st.stream->hub = nullptr;
      st.shutdown_stream("changefeed restarted, resume");
    }
    if (auto c = st.channel; c && c->watches(dm.source)) {
      c->stop();
      c->shutdown("changefeed restarted, resume", 1011);
    }
    st.after_io();
  });
  if (ctx->metrics.draining)
    st.session->drain();
  return caf::message_handler{
    [=](h3_packet_atom, const std::string& remote, const std::string& pkt) {
      auto& st = self->state;
      ++st.udp->metrics().packets_in;
      if (!st.session)
        return;
      st.remote = remote;
      st.session->on_packet(st.udp->local(), remote, pkt);
      if (st.wire_tunnels) // (acknowledged tunnel bytes free their bound)
        st.wire_tunnels->settle();
      st.after_io();
    },
    [=](h3_packets_atom, const std::shared_ptr<h3_datagrams>& batch) {
      auto& st = self->state;
      st.udp->metrics().packets_in += batch->items.size();
      if (!st.session)
        return;
      st.session->hold_writes(true); // one write pass for the lot
      for (auto& [remote, pkt] : batch->items) {
        st.remote = remote;
        st.session->on_packet(st.udp->local(), remote, pkt);
      }
      if (st.session)
        st.session->hold_writes(false);
      if (st.wire_tunnels) // (acknowledged tunnel bytes free their bound)
        st.wire_tunnels->settle();
      st.after_io();
    },
    [=](h3_timer_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.timer_gen || !st.session)
        return;
      st.timer_at = UINT64_MAX;
      st.session->on_expiry();
      st.after_io();
    },
    [=](limit_done_atom, uint64_t id, std::string& body) { // issue 25
      self->state.on_limit_answer(id, body);
    },
    [=](drain_atom) {
      auto& st = self->state;
      st.guarded([&] { st.wake_all_waits(); });
      st.shutdown_stream("server shutting down");
      if (auto c = st.channel) // its close frame, then FIN
        c->shutdown("server shutting down", 1001);
      if (st.wire_tunnels) // MQTT DISCONNECT 0x8B, PG 57P01 on their streams
        st.wire_tunnels->drain();
      st.session->drain();
      st.after_io();
    },
    [=](publish_atom, const published_batch& b) {
      self->state.on_publish(b);
      self->state.after_io();
    },
    [=](stream_tick_atom, uint64_t gen) {
      self->state.on_stream_tick(gen);
      self->state.after_io();
    },
    [=](backfill_atom, uint64_t gen) {
      self->state.continue_backfill(gen);
      self->state.after_io();
    },
  }
    .or_else(st.wire_behavior())
    .or_else(ws_channel::behavior(
      [self](uint64_t gen) { return self->state.channel_of(gen); },
      [self] { self->state.after_io(); }));
}

} // namespace

caf::actor spawn_h3_connection(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx,
                               std::shared_ptr<h3_udp> udp,
                               http3::initial_info first, std::string ip_slot) {
  return sys.spawn(h3_connection, std::move(ctx), std::move(udp),
                   std::move(first), std::move(ip_slot));
}

} // namespace themis
