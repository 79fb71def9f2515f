#pragma once
/// State of one HTTP connection actor: the HTTP/1.1 session and, after an
/// upgrade, the WebSocket session; the ports handlers use (writes, long-poll
/// waits, streams, channels). Request handling lives in
/// http_connection_actor.cpp, streams and channels in
/// http_connection_streams.cpp. Private to actors/.

#include <caf/all.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <spdlog/spdlog.h>

#include "actors/blocking_work.hpp"
#include "actors/gateway_relay.hpp"
#include "actors/h3_alt_svc.hpp"
#include "actors/http_grpc.hpp"
#include "actors/http_h2_ws.hpp"
#include "actors/messages.hpp"
#include "actors/redis_limiter.hpp"
#include "actors/server_context.hpp"
#include "actors/tcp_connection.hpp"
#include "actors/ws_message_codec.hpp"
#include "actors/ws_stream_tunnels.hpp"
#include "handlers/changefeed_encoding.hpp"
#include "handlers/http_json.hpp"
#include "protocols/compression/http_coding.hpp"
#include "protocols/http1/http1_session.hpp"
#include "protocols/http2/h2_session.hpp"
#include "protocols/small_fifo.hpp"
#include "protocols/websocket/ws_session.hpp"

namespace themis::detail {

inline uint64_t steady_ms() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

/// One request-path write in flight: enqueued on admission, outcome
/// recorded on the breaker exactly once — by `settle`, or by the
/// destructor (as a cancelled trial) if no answer ever arrives.
struct write_ticket {
  server_context& ctx;
  bool settled = false;
  explicit write_ticket(server_context& c) : ctx(c) {
    ctx.writer_admission.enqueued();
  }
  void settle(bool ok) {
    if (settled)
      return;
    settled = true;
    ctx.writer_admission.dequeued();
    ctx.writer_breaker->record(ok, steady_ns());
  }
  ~write_ticket() {
    if (!settled) {
      ctx.writer_admission.dequeued();
      ctx.writer_breaker->cancel_trial();
    }
  }
};

struct http_connection_state : http1::session_callbacks,
                               ws::ws_callbacks,
                               write_port,
                               change_notifier,
                               stream_port,
                               work_port,
                               service_port,
                               stream_sink,
                               message_sink {
  write_port& connection_writer() override { return *this; }
  work_port& connection_work() override { return *this; }

  caf::event_based_actor* self = nullptr;
  connection_ptr conn;
  std::shared_ptr<server_context> ctx;
  std::unique_ptr<http_front> session;
  /// A session replaced from inside one of its own calls (an h2c
  /// upgrade): destroyed at the next message, when nothing runs in it.
  std::unique_ptr<http_front> retired;
  /// Until the first bytes show whether the client speaks HTTP/2 (the
  /// connection preface) or HTTP/1.1.
  bool protocol_known = false;
  std::string first_bytes;
  /// `Upgrade: h2c` accepted: the request becomes HTTP/2 stream 1 once
  /// the 101 is out.
  struct h2c_upgrade {
    std::string settings;
    api_request req;
    bool head;
  };
  std::optional<h2c_upgrade> h2c;
  /// Switches to HTTP/2 (prior knowledge or after the 101 of an h2c
  /// upgrade); false if the upgrade's settings were bad.
  bool start_h2();
  /// Feeds bytes to the session, choosing HTTP/2 or HTTP/1.1 on the
  /// connection's first bytes.
  void on_http_data(const std::string& bytes);
  /// The peer half-closed: HTTP/1.1 answers what it completed, then
  /// closes (true); anything else (HTTP/2, WebSocket) ends now (false).
  bool on_peer_eof();
  bool reading = false; ///< whether the socket side is told to read
  bool closed = false;
  /// Requests of this connection wait while one of its writes is in
  /// flight, so a pipelined read sees the write before it (read your
  /// writes); other connections are not held up.
  int writes_in_flight = 0;
  /// (no allocation while empty: idle connections, issue 30)
  small_fifo<std::pair<uint64_t, api_request>> deferred;

  // -- session callbacks ----------------------------------------------------

  void on_request(uint64_t id, api_request req) override {
    // HTTP/1.1 read-your-writes ordering; HTTP/2 streams are independent
    if (!session->multiplexed() &&
        (writes_in_flight > 0 || !deferred.empty())) {
      deferred.push_back({id, std::move(req)});
      return;
    }
    dispatch(id, std::move(req));
  }

  /// An HTTP/1.1 request asking for h2c that we can take: no body (a
  /// body would have to be read as HTTP/1.1 first; such requests simply
  /// stay on HTTP/1.1, which RFC 7540 allows).
  bool wants_h2c(const api_request& req) const {
    if (session->multiplexed() || !req.body.empty() || conn->tls())
      return false; // (over TLS, HTTP/2 is chosen by ALPN only)
    auto up = req.header("Upgrade");
    auto settings = req.header("HTTP2-Settings");
    return up && settings && up->find("h2c") != std::string::npos &&
           !req.header("Sec-WebSocket-Key") &&
           http2::h2_session::valid_settings(*settings);
  }

  void on_stream_reset(uint64_t id) override {
    spdlog::debug("http {}: stream {} reset by the client",
                  conn->remote_address(), id);
    stream_coders.erase(id);
    h2_ws_end(id);       // RFC 8441: a WebSocket tunnel ended (http_h2_ws.cpp)
    gw_relays.erase(id); // a relayed upstream body: the upstream is dropped
    if (stream && stream->id == id)
      end(); // the client went away from this SSE stream: unsubscribe
    grpc_cancel(id);
  }
  size_t unsent_pieces() const override { return conn->queued_writes(); }
  size_t unsent_bytes() const override { return conn->queued_bytes(); }

  void run_deferred() {
    while (writes_in_flight == 0 && !deferred.empty()) {
      auto [id, req] = std::move(deferred.front());
      deferred.pop_front();
      dispatch(id, std::move(req));
    }
  }

  /// Issue 23: the gateway's route table answers before themisd's router
  /// (redirect, direct, forward to a cluster); false: not a gateway route.
  bool gateway_dispatch(uint64_t id, api_request& req);
  /// Streamed upstream answers by request id (http_gateway.cpp).
  std::map<uint64_t, gateway_relay> gw_relays;
  /// Moves what the upstream sent of `id`'s body to the client while the
  /// client keeps up; ends the answer with the body.
  void gateway_pump(uint64_t id);
  /// A WebSocket tunnel through the gateway (after its 101): the client's
  /// bytes go to the upstream; reads pause while `gw_window` bytes wait.
  std::shared_ptr<gateway_tunnel_slot> gw_tunnel;
  size_t gw_window = 0;
  void gateway_tunnel_in(std::string bytes);
  void gateway_tunnel_close();
  bool gateway_tunnel_backlogged() const;

  void dispatch(uint64_t id, api_request req) {
    // A synchronous answer may dispatch the next pipelined request inside
    // this one: restore the id for the handler that is still running.
    auto outer_id = current_id;
    current_id = id;
    req.client_cert = conn->client_subject();
    struct restore {
      uint64_t& ref;
      uint64_t value;
      ~restore() { ref = value; }
    } restore_id{current_id, outer_id};
    if (is_grpc_request(req)) {
      grpc_start(id, std::move(req)); // actors/http_grpc.cpp
      return;
    }
    if (try_wire_upgrade(id, req)) // /mqtt, /pg (actors/ws_wire_upgrade.cpp)
      return;
    if (is_grpc_web_call(req)) {
      grpc_web_start(id, std::move(req)); // actors/http_grpc_web.cpp
      return;
    }
    if (ctx->gateway && gateway_dispatch(id, req)) // issue 23: http_gateway.cpp
      return;
    auto key_header = req.header("Sec-WebSocket-Key");
    std::string ws_key = key_header ? *key_header : std::string();
    auto ext_header = req.header("Sec-WebSocket-Extensions");
    std::string ws_ext = ext_header ? *ext_header : std::string();
    bool is_get = req.method == "GET";
    auto& coding = ctx->coding;
    std::string why;
    if (int st = compression::decode_request(req, coding, why)) {
      auto r = error_response(st, why);
      if (st == 415)
        r.headers.emplace_back("Accept-Encoding", "gzip, br, zstd");
      session->respond(id, std::move(r));
      want_read();
      return;
    }
    if (wants_h2c(req)) {
      // RFC 7540 §3.2: 101, then HTTP/2 with this request as stream 1
      bool is_head = req.method == "HEAD";
      h2c = h2c_upgrade{*req.header("HTTP2-Settings"), std::move(req), is_head};
      api_response up;
      up.status = 101;
      up.headers = {{"Connection", "Upgrade"}, {"Upgrade", "h2c"}};
      session->respond(id, std::move(up));
      return;
    }
    auto ae_header = req.header("Accept-Encoding");
    std::optional<std::string> accept;
    if (ae_header)
      accept = *ae_header;
    auto respond = [this, id, ws_key, ws_ext, is_get,
                    accept = std::move(accept)](api_response resp) {
      auto* ae = accept ? &*accept : nullptr;
      if (resp.stream) {
        if (auto c = compression::encode_stream(ae, resp, ctx->coding))
          stream_coders[id] = std::move(c);
      } else {
        compression::encode_response(ae, resp, ctx->coding);
      }
      if (resp.status == 101) {
        // The handshake proof is the front-end's job (RFC 6455 §4.2.2).
        if (h2_ws_refused()) { // (RFC 8441 tunnels, http_h2_ws.cpp)
          resp = error_response(503, "one changefeed subscriber per "
                                     "connection: open another connection");
          deferred_channel.reset();
          refuse_next_channel = true;
        } else if (is_get && ws::valid_client_key(ws_key)) {
          resp.set_header("Sec-WebSocket-Accept", ws::accept_key(ws_key));
          ws_codec.negotiate(ctx->config, ws_ext, resp); // deflate, encoding
        } else {
          resp = error_response(400, is_get ? "invalid Sec-WebSocket-Key"
                                            : "WebSocket needs GET");
          deferred_channel.reset();
          refuse_next_channel = true;
        }
      }
      // issue 19: TLS answers (HTTP/1.1, h2) advertise HTTP/3
      if (conn->tls() && !h3_alt_svc().empty())
        resp.headers.emplace_back("Alt-Svc", h3_alt_svc());
      if (resp.status >= 500)
        spdlog::debug("http {}: answered {}", conn->remote_address(),
                      resp.status);
      session->respond(id, std::move(resp));
      want_read();
    };
    try {
      ctx->router->handle(std::move(req),
                          request_ports{*this, *this, *this, *this, *this},
                          respond);
    } catch (const actor_crash&) {
      ++ctx->metrics.handler_crashes;
      throw; // ends this actor; its socket closes, nobody else notices
    } catch (const std::exception& e) {
      ++ctx->metrics.handler_crashes;
      spdlog::error("http {}: handler exception: {}", conn->remote_address(),
                    e.what());
      session->respond(id, error_response(500, "internal error"));
      want_read();
    }
  }

  void send(std::string bytes) override { conn->write(std::move(bytes)); }

  void close() override;

  uint64_t now_ms() override { return steady_ms(); }

  void on_protocol_error(int status, const std::string& reason) override {
    ++ctx->metrics.protocol_errors;
    spdlog::debug("http {}: {} {}", conn->remote_address(), status, reason);
  }

  // -- write port -----------------------------------------------------------

  void submit(engine::write_batch batch,
              std::function<void(engine::write_result)> done) override {
    auto writer = registered(*ctx->system, store_writer_name);
    if (!writer) {
      engine::write_result r;
      r.error = "store writer unavailable";
      done(std::move(r));
      return;
    }
    // Overload protection: refuse at once rather than queue behind a
    // backlog (admission) or a failing engine (breaker).
    auto now = steady_ns();
    auto& breaker = *ctx->writer_breaker;
    const char* refused = nullptr;
    if (!ctx->writer_admission.admit(now))
      refused = "the store writer is overloaded; retry later";
    else if (!breaker.allow(now))
      refused = "the store writer circuit breaker is open; retry later";
    ctx->metrics.writer_breaker_state = static_cast<int>(breaker.state());
    if (refused) {
      engine::write_result r;
      r.error = refused;
      r.overloaded = true;
      r.retry_after_s = ctx->config.overload.retry_after_s;
      done(std::move(r));
      return;
    }
    batch.enqueued_ns = now;
    // Admission and breaker accounting must balance even when this actor
    // quits before the answer (CAF drops pending handlers): the ticket's
    // destructor settles a write that never got an outcome.
    auto ticket = std::make_shared<write_ticket>(*ctx);
    auto timeout =
      std::chrono::milliseconds(ctx->config.http.request_timeout_ms);
    ++writes_in_flight;
    self->request(writer, timeout, write_atom::value, std::move(batch))
      .then(
        [this, done, ticket](engine::write_result& r) {
          --writes_in_flight;
          ticket->settle(!engine_failed(r));
          ctx->metrics.writer_breaker_state =
            static_cast<int>(ctx->writer_breaker->state());
          guarded([&] { done(std::move(r)); });
          run_deferred();
        },
        [this, done, ticket](caf::error& err) {
          --writes_in_flight;
          ticket->settle(false);
          ctx->metrics.writer_breaker_state =
            static_cast<int>(ctx->writer_breaker->state());
          engine::write_result r;
          r.error = "store writer did not answer: " + caf::to_string(err);
          guarded([&] { done(std::move(r)); });
          run_deferred();
        });
  }

  /// An engine-level failure (I/O, commit error, injected fault): nothing
  /// committed and no operation was refused on its own merits. A 404 or
  /// 409 of one document, which rolls back its batch, is a healthy engine.
  static bool engine_failed(const engine::write_result& r) {
    if (r.committed)
      return false;
    for (auto& op : r.results)
      if (op.status != engine::op_status::ok &&
          op.status != engine::op_status::created &&
          op.status != engine::op_status::not_executed &&
          op.status != engine::op_status::internal)
        return false;
    return true;
  }

  // -- work and service ports ----------------------------------------------

  /// Asks `dest` for an api_response; later requests of this connection
  /// wait for it, like behind a write (it may write: read your writes). A
  /// failed request is answered `fail_status` with `what` and the error.
  template <class... Ts>
  void ask_response(const caf::actor& dest, caf::duration timeout,
                    responder done, int fail_status, std::string what,
                    Ts&&... xs) {
    ++writes_in_flight;
    self->request(dest, timeout, std::forward<Ts>(xs)...)
      .then(
        [this, done](api_response& r) {
          --writes_in_flight;
          guarded([&] { done(std::move(r)); });
          run_deferred();
        },
        [this, done, fail_status, what](caf::error& err) {
          --writes_in_flight;
          guarded([&] {
            auto r = error_response(fail_status, what + caf::to_string(err));
            if (fail_status == 503)
              r.set_header("Retry-After", "1");
            done(std::move(r));
          });
          run_deferred();
        });
  }

  /// Runs `work` on a detached worker; the answer comes back here.
  void run_blocking(std::function<api_response(blocking_writer&)> work,
                    responder done) override {
    auto worker = spawn_work_runner(*ctx->system, ctx, std::move(work));
    ask_response(worker, caf::duration{caf::infinite}, std::move(done), 500,
                 "query worker failed: ", run_atom::value);
  }

  /// Limit questions waiting for the Redis link (issue 25).
  std::map<uint64_t, responder> limit_waits;
  uint64_t next_limit = 0;

  void on_limit_answer(uint64_t id, std::string& body) {
    auto it = limit_waits.find(id);
    if (it == limit_waits.end())
      return;
    auto done = std::move(it->second);
    limit_waits.erase(it);
    --writes_in_flight;
    api_response r;
    r.body = std::move(body);
    guarded([&] { done(std::move(r)); });
    run_deferred();
  }

  void ask(service_id which, api_request req, responder done) override {
    if (which == service_id::rate_limit) { // issue 25
      // straight to the Redis link's thread; the answer comes back as
      // limit_done_atom (on_limit_answer), within the Redis timeout
      auto id = next_limit++;
      if (!ask_redis_limit(req.body, caf::actor_cast<caf::actor>(self), id)) {
        done(error_response(503, "rate limiter unavailable"));
        return;
      }
      ++writes_in_flight;
      limit_waits.emplace(id, std::move(done));
      return;
    }
    auto svc = registered(*ctx->system, jobs_manager_name);
    if (!svc) {
      auto r = error_response(503, "job manager unavailable");
      r.set_header("Retry-After", "1");
      done(std::move(r));
      return;
    }
    auto timeout = std::chrono::seconds(ctx->config.jobs.max_wait_s + 30);
    ask_response(svc, caf::duration{timeout}, std::move(done), 503,
                 "job manager did not answer: ", ask_atom::value,
                 std::move(req));
  }

  // -- change notifier ------------------------------------------------------

  /// Open long-poll waits by id; whichever comes first (the hub's answer,
  /// the timeout, a drain) takes the entry, so `done` runs once.
  std::map<uint64_t, std::function<void(bool)>> waits;
  uint64_t next_wait = 0;

  void wait_after(uint64_t after, uint32_t timeout_ms,
                  std::function<void(bool)> done) override {
    auto hub = registered(*ctx->system, changefeed_hub_name);
    if (!hub || ctx->metrics.draining) {
      done(false);
      return;
    }
    auto id = next_wait++;
    waits.emplace(id, std::move(done));
    auto fire = [this, id] {
      auto it = waits.find(id);
      if (it == waits.end())
        return;
      auto f = std::move(it->second);
      waits.erase(it);
      guarded([&] { f(true); });
    };
    self
      ->request(hub, std::chrono::milliseconds(timeout_ms), wait_atom::value,
                after, timeout_ms)
      .then([fire](uint64_t) { fire(); }, [fire](caf::error&) { fire(); });
  }

  void wake_all_waits() {
    auto all = std::move(waits);
    waits.clear();
    for (auto& [id, f] : all)
      f(false);
  }

  // -- streams (this actor is the changefeed subscriber) --------------------

  struct active_stream {
    uint64_t id;
    uint64_t gen; ///< tells late replies and ticks of an older stream apart
    std::shared_ptr<stream_handler> handler;
    uint32_t tick_ms;
    caf::actor hub;
    bool subscribed = false;
    std::vector<published_batch> early; ///< held during the backfill
    size_t early_events = 0;
  };
  std::optional<active_stream> stream;
  /// Streamed responses being compressed, by request id.
  std::map<uint64_t, std::unique_ptr<compression::stream_compressor>>
    stream_coders;
  /// A piece of a streamed body (compressed if its response is).
  void stream_out(uint64_t id, std::string_view bytes) {
    auto c = stream_coders.find(id);
    if (c == stream_coders.end())
      session->stream_data(id, bytes);
    else
      session->stream_data(id, c->second->add(bytes));
  }
  void stream_close(uint64_t id) {
    auto c = stream_coders.find(id);
    if (c != stream_coders.end()) {
      session->stream_data(id, c->second->finish());
      stream_coders.erase(c);
    }
    session->stream_end(id);
  }
  uint64_t stream_gen = 0;
  /// The stream's handler wrote its overflow notice: end() closes.
  bool stream_overflowed = false;
  uint64_t current_id = 0; ///< request being dispatched

  /// Registers this actor with the changefeed hub (monitored, so a hub
  /// restart ends the subscription); `on_tip` gets the hub's tip.
  template <class OnTip, class OnError>
  void subscribe_to_hub(const caf::actor& hub, OnTip on_tip, OnError on_error) {
    self->monitor(hub);
    self
      ->request(hub, std::chrono::seconds(10), subscribe_atom::value,
                caf::actor_cast<caf::actor>(self))
      .then(std::move(on_tip), std::move(on_error));
  }

  bool is_current(uint64_t gen) const { return stream && stream->gen == gen; }

  /// Runs a callback that reached us outside dispatch(): an exception ends
  /// this connection explicitly instead of the actor.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const actor_crash&) {
      throw;
    } catch (const std::exception& e) {
      ++ctx->metrics.handler_crashes;
      spdlog::error("http {}: exception in async handler: {}",
                    conn->remote_address(), e.what());
      closed = true;
      conn->abort();
    }
  }

  void start_stream(std::shared_ptr<stream_handler> h,
                    uint32_t tick_ms) override;

  /// One backfill page per message, so other work (and other streams on
  /// this worker) interleaves; paused while the client has not read what
  /// was sent. Live events wait in `early` until the backfill is done.
  void continue_backfill(uint64_t gen);

  void on_publish(const published_batch& b);

  void on_stream_tick(uint64_t gen);

  void shutdown_stream(const std::string& why);

  // stream_sink
  void write(std::string bytes) override;

  void end() override;

  size_t queued() const override;

  // -- websocket (after a 101) -----------------------------------------------

  std::unique_ptr<ws::ws_session> ws;
  /// A channel started before its 101 was sent (answers still owed ahead
  /// of it); it starts when the upgrade happens.
  std::optional<std::pair<std::shared_ptr<channel_handler>, uint32_t>>
    deferred_channel;
  bool refuse_next_channel = false; ///< its 101 became a 400
  std::string ws_pending; ///< bytes that arrived before the channel opened
  struct active_channel {
    uint64_t gen;
    std::shared_ptr<channel_handler> handler;
    uint32_t ping_ms;
    caf::actor hub;
    bool open = false;
    bool failed = false; ///< never opened: no events, just the close
    std::vector<published_batch> early;
  };
  std::optional<active_channel> channel;

  void on_upgraded(std::string leftover) override;

  void start_channel(std::shared_ptr<channel_handler> h,
                     uint32_t ping_ms) override;

  void on_ws_data(const std::string& bytes);
  /// Drives the channel's paced backfill (one page per message).
  void kick_ws_backfill();
  void continue_ws_backfill(uint64_t gen);
  bool ws_backfill_scheduled = false;

  // ws_callbacks (send is shared with the HTTP session)
  void on_text(std::string message) override;
  void on_binary(std::string message) override;

  // -- WebSocket extensions and wire protocols over WebSocket (issue 19;
  // actors/ws_wire_upgrade.cpp) ---------------------------------------------

  /// Negotiated for the 101 a handler answered: permessage-deflate, and a
  /// binary encoding of the channel's messages (by its subprotocol).
  ws_message_codec ws_codec;
  enum class wire_protocol { none, mqtt, pg };
  wire_protocol wire_pending = wire_protocol::none;
  /// After an upgrade at /mqtt or /pg: the actor that speaks the protocol.
  /// It takes over the socket's reads (tcp_connection::begin_sink_switch)
  /// once this actor has relayed what it had; a drain is forwarded, and
  /// its end ends this actor.
  caf::actor handoff;
  /// Answers a WebSocket upgrade of a wire-protocol path: true if taken.
  bool try_wire_upgrade(uint64_t id, api_request& req);
  void start_wire(std::string leftover);

  void close_transport() override;

  // message_sink
  void send_text(std::string text) override;

  void close(uint16_t code, std::string reason) override;

  // -- WebSocket over HTTP/2 (RFC 8441; actors/http_h2_ws.cpp) ---------------

  /// The HTTP/2 stream `ws` runs on (0: the socket, after an HTTP/1.1
  /// upgrade).
  uint64_t ws_stream = 0;
  std::unique_ptr<h2_ws_transport> ws_transport;
  /// Ended inside one of their own calls: destroyed at the next message.
  std::unique_ptr<ws::ws_session> ws_retired;
  std::unique_ptr<h2_ws_transport> ws_transport_retired;
  void on_tunnel_open(uint64_t id) override;
  void on_tunnel_data(uint64_t id, std::string_view bytes, bool end) override;
  /// Whether a WebSocket handshake on this HTTP/2 connection is refused
  /// (a subscriber already runs on it).
  bool h2_ws_refused() const;
  /// Stream `id` closed: if it carried `ws`, the channel ends.
  void h2_ws_end(uint64_t id);
  /// The close handshake timed out: RST_STREAM(CANCEL).
  void h2_ws_abort();
  /// MQTT and PostgreSQL over WebSocket on HTTP/2 streams (several per
  /// connection; actors/ws_stream_tunnels.hpp), created on first use.
  std::unique_ptr<ws_stream_tunnels> wire_tunnels;
  /// The wire tunnel whose 101 is being sent (on_tunnel_open starts it).
  struct wire_start {
    uint64_t id;
    wire_kind kind;
    ws::ws_options opts;
  };
  std::optional<wire_start> wire_opening;
  /// Answers an extended CONNECT at /mqtt or /pg (ws_wire_upgrade.cpp).
  void open_wire_tunnel(uint64_t id, wire_protocol which, api_response r,
                        const std::string& extensions);

  // -- gRPC calls (issue 20; actors/http_grpc.cpp) ---------------------------

  std::map<uint64_t, grpc_call> grpc_calls;
  uint64_t grpc_gen = 0;
  bool wants_request_stream(const api_request& req) override {
    return is_grpc_request(req);
  }
  void on_request_body(uint64_t id, std::string_view bytes, bool end) override;
  void grpc_start(uint64_t id, api_request req);
  void grpc_run(uint64_t id);
  void grpc_reply(uint64_t id, uint64_t gen, grpc_status st,
                  const std::string& reply);
  void grpc_send(uint64_t id, const std::string& message, bool compress = true);
  void grpc_schedule_pump(uint64_t id, uint64_t gen, uint32_t delay_ms);
  void grpc_pump(uint64_t id, uint64_t gen);
  void grpc_finish(uint64_t id, grpc_status st);
  void grpc_deadline(uint64_t id, uint64_t gen);
  void grpc_cancel(uint64_t id);
  /// Drain: every server stream is pumped now (watches answer NOT_SERVING,
  /// feeds end UNAVAILABLE with their resume point).
  void grpc_drain();
  grpc_request grpc_request_of(grpc_call& c, std::string message);
  /// The next whole request message of c.inbuf (taken out, decompressed,
  /// JSON made binary): 1 one is in `msg`, 0 more bytes needed, -1 the
  /// call ended with an error (`c` is gone).
  int grpc_next_message(uint64_t id, grpc_call& c, std::string& msg,
                        bool& compressed);
  /// Client-streaming/bidirectional calls (actors/http_grpc_input.cpp).
  void grpc_duplex_body(uint64_t id, std::string_view bytes, bool end);
  void grpc_duplex_feed(uint64_t id);
  /// gRPC-web and Connect (actors/http_grpc_web.cpp): the call's body
  /// came whole; answers go through grpc_web_* in the call's format.
  void grpc_web_start(uint64_t id, api_request req);
  /// A Connect unary call's whole body (actors/http_connect_unary.cpp).
  void grpc_connect_unary_body(uint64_t id, std::string body);
  void grpc_run_guarded(uint64_t id);
  void grpc_web_send(uint64_t id, grpc_call& c, const std::string& message,
                     bool compress = true);
  void grpc_web_reply(uint64_t id, grpc_call& c, const std::string& reply);
  void grpc_web_finish(uint64_t id, const grpc_call& c, bool head_sent,
                       const grpc_status& st);

  // -- helpers --------------------------------------------------------------

  /// Tells the socket side to read or pause only when the session's wish
  /// changes, so the common case sends nothing.
  void want_read() {
    if (handoff)
      return; // the wire-protocol actor reads
    // After an upgrade, stop reading while our answers (pongs, events)
    // pile up unread; the ping tick checks again.
    bool want = !closed && (gw_tunnel          ? !gateway_tunnel_backlogged()
                            : ws && !ws_stream ? conn->queued_writes() < 1024
                                               : session->wants_read());
    if (want == reading)
      return;
    reading = want;
    if (want)
      conn->resume_reading();
    else
      conn->pause_reading();
  }
};

} // namespace themis::detail
