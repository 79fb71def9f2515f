#pragma once
/// State of one HTTP/3 connection actor: the h3_session (QUIC + HTTP/3)
/// and the ports handlers use (writes, long-poll waits, query workers,
/// jobs, SSE changefeed streams), as the TCP connection actor has them.
/// One QUIC connection multiplexes requests, so, as on HTTP/2, requests
/// do not wait for each other. Private to actors/.

#include <caf/all.hpp>
#include <map>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>

#include "actors/h3_listener.hpp"
#include "actors/h3_messages.hpp"
#include "actors/http_connection_state.hpp"
#include "actors/redis_limiter.hpp"
#include "actors/ws_channel.hpp"
#include "protocols/http3/h3_session.hpp"

namespace themis::detail {

struct h3_connection_state : http3::h3_callbacks,
                             write_port,
                             change_notifier,
                             stream_port,
                             work_port,
                             service_port,
                             stream_sink,
                             ws_channel_host {
  write_port& connection_writer() override { return *this; }
  work_port& connection_work() override { return *this; }

  caf::event_based_actor* self = nullptr;
  std::shared_ptr<server_context> ctx;
  std::shared_ptr<h3_udp> udp;
  std::unique_ptr<http3::h3_session> session;
  std::string remote; ///< the peer's address (raw sockaddr), current path
  std::string peer;   ///< printable, for logs and remote_addr
  std::set<std::string> cids; ///< our demux keys
  bool closed = false;
  bool counted_handshake = false;
  /// The scheduled timer: its deadline (ns) and generation.
  uint64_t timer_at = UINT64_MAX;
  uint64_t timer_gen = 0;

  // -- h3_callbacks -----------------------------------------------------------
  void on_request(uint64_t id, api_request req) override {
    dispatch(id, std::move(req));
  }
  /// Datagrams the session wrote during this message: sent together
  /// (sendmmsg) by after_io, which every handler ends with.
  std::vector<std::pair<std::string, std::string>> out;
  void send_to(std::string_view to, std::string datagram) override {
    out.emplace_back(std::string(to), std::move(datagram));
    if (out.size() >= 64)
      flush();
  }
  void flush() {
    if (out.empty())
      return;
    udp->send_all(out);
    out.clear();
  }
  void on_cid(std::string_view cid, bool added) override;
  void on_handshake() override;
  void close() override;
  uint64_t now_ms() override { return steady_ms(); }
  uint64_t now_ns() override { return static_cast<uint64_t>(steady_ns()); }
  void on_protocol_error(int, const std::string& reason) override {
    ++ctx->metrics.protocol_errors;
    spdlog::debug("h3 {}: {}", peer, reason);
  }
  void on_stream_reset(uint64_t id) override;
  void on_tunnel_open(uint64_t id) override;
  void on_tunnel_data(uint64_t id, std::string_view bytes, bool end) override;

  /// After any input: arms the timer for the session's next deadline
  /// and quits when the session is finished.
  void after_io();
  void dispatch(uint64_t id, api_request req);

  // -- MQTT / PostgreSQL over WebSocket (RFC 9220; actors/h3_wire.cpp) -----
  /// Created on the first tunnel; one wire actor per tunnel stream.
  std::unique_ptr<ws_stream_tunnels> wire_tunnels;
  /// The tunnel whose 200 is being sent (on_tunnel_open starts it).
  std::optional<http_connection_state::wire_start> wire_opening;
  /// An extended CONNECT at mqtt.ws_path / pg.ws_path: answered (the
  /// tunnel opened or refused). False for any other path.
  bool try_wire(uint64_t id, const api_request& req);
  /// The wire actors' messages (ws_stream_tunnels.hpp), after the others.
  caf::message_handler wire_behavior();

  // -- ports --------------------------------------------------------------
  void submit(engine::write_batch batch,
              std::function<void(engine::write_result)> done) override;
  template <class... Ts>
  void ask_response(const caf::actor& dest, caf::duration timeout,
                    responder done, int fail_status, std::string what,
                    Ts&&... xs);
  void run_blocking(std::function<api_response(blocking_writer&)> work,
                    responder done) override;
  void ask(service_id which, api_request req, responder done) override;
  /// Limit questions waiting for the Redis link (issue 25).
  std::map<uint64_t, responder> limit_waits;
  uint64_t next_limit = 0;
  void on_limit_answer(uint64_t id, std::string& body);
  std::map<uint64_t, std::function<void(bool)>> waits;
  uint64_t next_wait = 0;
  void wait_after(uint64_t after, uint32_t timeout_ms,
                  std::function<void(bool)> done) override;
  void wake_all_waits();

  // -- SSE streams (this actor is the changefeed subscriber) ---------------
  struct active_stream {
    uint64_t id;
    uint64_t gen;
    std::shared_ptr<stream_handler> handler;
    uint32_t tick_ms;
    caf::actor hub;
    bool subscribed = false;
    std::vector<published_batch> early;
    size_t early_events = 0;
  };
  std::optional<active_stream> stream;
  std::map<uint64_t, std::unique_ptr<compression::stream_compressor>>
    stream_coders;
  uint64_t stream_gen = 0;
  uint64_t current_id = 0; ///< request being dispatched
  void start_stream(std::shared_ptr<stream_handler> h,
                    uint32_t tick_ms) override;
  void start_channel(std::shared_ptr<channel_handler> h,
                     uint32_t ping_ms) override;
  void continue_backfill(uint64_t gen);
  void on_publish(const published_batch& b);
  void on_stream_tick(uint64_t gen);
  void shutdown_stream(const std::string& why);
  bool is_current(uint64_t gen) const { return stream && stream->gen == gen; }
  // stream_sink
  void write(std::string bytes) override;
  void end() override;
  size_t queued() const override;

  // -- changefeed WebSockets (RFC 9220; actors/h3_ws_channel.cpp) ---------
  /// The connection's changefeed WebSocket (one subscriber per
  /// connection, SSE stream or WebSocket, as on HTTP/2).
  std::shared_ptr<ws_channel> channel;
  /// The channel whose 200 is being sent (on_tunnel_open adopts it).
  std::shared_ptr<ws_channel> channel_opening;
  /// A handler's 101 for stream `id`: a 503 when a subscriber already
  /// runs on this connection, else the channel is prepared with what
  /// the client's `extensions` and the answer negotiate.
  void accept_channel(uint64_t id, const std::string& extensions,
                      api_response& resp);
  /// The channel of timer generation `gen`, if it is still there.
  std::shared_ptr<ws_channel> channel_of(uint64_t gen) const {
    return channel && channel->gen() == gen ? channel : nullptr;
  }
  /// Stream `id` closed or was reset: true if it carried the channel.
  bool end_channel(uint64_t id);
  // ws_channel_host
  http_front* channel_front() override { return session.get(); }
  void channel_reset(uint64_t id) override;
  void channel_guarded(const std::function<void()>& f) override { guarded(f); }
  void channel_flush() override { after_io(); }

  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const actor_crash&) {
      throw;
    } catch (const std::exception& e) {
      ++ctx->metrics.handler_crashes;
      spdlog::error("h3 {}: exception in async handler: {}", peer, e.what());
      closed = true;
      self->quit();
    }
  }
};

} // namespace themis::detail
