#include "actors/http_connection_actor.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <spdlog/spdlog.h>

#include "actors/server_context.hpp"
#include "actors/tcp_connection.hpp"
#include "handlers/http_json.hpp"
#include "protocols/http1/http1_session.hpp"
#include "protocols/websocket/ws_session.hpp"

namespace themis {

namespace {

uint64_t steady_ms() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

struct http_connection_state : http1::session_callbacks,
                               ws::ws_callbacks,
                               write_port,
                               change_notifier,
                               stream_port,
                               stream_sink,
                               message_sink {
  caf::event_based_actor* self = nullptr;
  connection_ptr conn;
  std::shared_ptr<server_context> ctx;
  std::unique_ptr<http1::http1_session> session;
  bool reading = false; ///< whether the socket side is told to read
  bool closed = false;
  /// Requests of this connection wait while one of its writes is in
  /// flight, so a pipelined read sees the write before it (read your
  /// writes); other connections are not held up.
  int writes_in_flight = 0;
  std::deque<std::pair<uint64_t, api_request>> deferred;

  // -- session callbacks ----------------------------------------------------

  void on_request(uint64_t id, api_request req) override {
    if (writes_in_flight > 0 || !deferred.empty()) {
      deferred.emplace_back(id, std::move(req));
      return;
    }
    dispatch(id, std::move(req));
  }

  void run_deferred() {
    while (writes_in_flight == 0 && !deferred.empty()) {
      auto [id, req] = std::move(deferred.front());
      deferred.pop_front();
      dispatch(id, std::move(req));
    }
  }

  void dispatch(uint64_t id, api_request req) {
    // A synchronous answer may dispatch the next pipelined request inside
    // this one: restore the id for the handler that is still running.
    auto outer_id = current_id;
    current_id = id;
    struct restore {
      uint64_t& ref;
      uint64_t value;
      ~restore() { ref = value; }
    } restore_id{current_id, outer_id};
    auto key_header = req.header("Sec-WebSocket-Key");
    std::string ws_key = key_header ? *key_header : std::string();
    bool is_get = req.method == "GET";
    auto respond = [this, id, ws_key, is_get](api_response resp) {
      if (resp.status == 101) {
        // The handshake proof is the front-end's job (RFC 6455 §4.2.2).
        if (is_get && ws::valid_client_key(ws_key)) {
          resp.set_header("Sec-WebSocket-Accept", ws::accept_key(ws_key));
        } else {
          resp = error_response(400, is_get ? "invalid Sec-WebSocket-Key"
                                            : "WebSocket needs GET");
          deferred_channel.reset();
          refuse_next_channel = true;
        }
      }
      if (resp.status >= 500)
        spdlog::debug("http {}: answered {}", conn->remote_address(),
                      resp.status);
      session->respond(id, std::move(resp));
      want_read();
    };
    try {
      ctx->router->handle(std::move(req), *this, *this, *this, respond);
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

  void close() override {
    closed = true;
    conn->close_after_writes();
  }

  uint64_t now_ms() override { return steady_ms(); }

  void on_protocol_error(int status, const std::string& reason) override {
    ++ctx->metrics.protocol_errors;
    spdlog::debug("http {}: {} {}", conn->remote_address(), status, reason);
  }

  // -- write port -----------------------------------------------------------

  void submit(engine::write_batch batch,
              std::function<void(engine::write_result)> done) override {
    auto writer = caf::actor_cast<caf::actor>(
      ctx->system->registry().get(store_writer_name));
    if (!writer) {
      engine::write_result r;
      r.error = "store writer unavailable";
      done(std::move(r));
      return;
    }
    auto timeout =
      std::chrono::milliseconds(ctx->config.http.request_timeout_ms);
    ++writes_in_flight;
    self->request(writer, timeout, write_atom::value, std::move(batch))
      .then(
        [this, done](engine::write_result& r) {
          --writes_in_flight;
          guarded([&] { done(std::move(r)); });
          run_deferred();
        },
        [this, done](caf::error& err) {
          --writes_in_flight;
          engine::write_result r;
          r.error = "store writer did not answer: " + caf::to_string(err);
          guarded([&] { done(std::move(r)); });
          run_deferred();
        });
  }

  // -- change notifier ------------------------------------------------------

  /// Open long-poll waits by id; whichever comes first (the hub's answer,
  /// the timeout, a drain) takes the entry, so `done` runs once.
  std::map<uint64_t, std::function<void(bool)>> waits;
  uint64_t next_wait = 0;

  void wait_after(uint64_t after, uint32_t timeout_ms,
                  std::function<void(bool)> done) override {
    auto hub = caf::actor_cast<caf::actor>(
      ctx->system->registry().get(changefeed_hub_name));
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
  uint64_t stream_gen = 0;
  uint64_t current_id = 0; ///< request being dispatched

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
                    uint32_t tick_ms) override {
    if (stream) {
      // One stream per connection: end the newcomer at once.
      session->stream_data(current_id,
                           "event: error\ndata: {\"error\":true,\"message\":"
                           "\"one stream per connection\"}\n\n");
      session->stream_end(current_id);
      return;
    }
    auto hub = caf::actor_cast<caf::actor>(
      ctx->system->registry().get(changefeed_hub_name));
    auto gen = ++stream_gen;
    stream = active_stream{current_id, gen, h, tick_ms, hub, false, {}, 0};
    if (!hub || ctx->metrics.draining) {
      h->on_shutdown(*this,
                     hub ? "server shutting down" : "changefeed unavailable");
      return;
    }
    self->monitor(hub);
    self
      ->request(hub, std::chrono::seconds(10), subscribe_atom::value,
                caf::actor_cast<caf::actor>(self))
      .then(
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

  /// One backfill page per message, so other work (and other streams on
  /// this worker) interleaves; paused while the client has not read what
  /// was sent. Live events wait in `early` until the backfill is done.
  void continue_backfill(uint64_t gen) {
    if (!is_current(gen))
      return;
    if (queued() > 2) {
      self->delayed_send(self, std::chrono::milliseconds(5),
                         backfill_atom::value, gen);
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

  void on_publish(const published_batch& b) {
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

  void on_stream_tick(uint64_t gen) {
    if (!is_current(gen))
      return;
    auto h = stream->handler;
    guarded([&] { h->on_tick(*this); });
    if (is_current(gen))
      self->delayed_send(self, std::chrono::milliseconds(stream->tick_ms),
                         stream_tick_atom::value, gen);
  }

  void shutdown_stream(const std::string& why) {
    if (!stream)
      return;
    auto h = stream->handler;
    guarded([&] { h->on_shutdown(*this, why); });
  }

  // stream_sink
  void write(std::string bytes) override {
    if (stream)
      session->stream_data(stream->id, bytes);
  }

  void end() override {
    if (!stream)
      return;
    auto id = stream->id;
    if (stream->hub) {
      self->demonitor(stream->hub.address());
      self->send(stream->hub, unsub_atom::value,
                 caf::actor_cast<caf::actor>(self));
    }
    stream.reset(); // callers hold their own reference to the handler
    session->stream_end(id);
    want_read();
  }

  size_t queued() const override {
    return conn->queued_writes() +
           (stream ? session->stream_backlog(stream->id) : 0);
  }

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

  void on_upgraded(std::string leftover) override {
    ws::ws_options o;
    o.limits.max_frame_payload = ctx->config.http.max_body_bytes;
    o.max_message = ctx->config.http.max_body_bytes;
    ws = std::make_unique<ws::ws_session>(o, *this);
    ws_pending = std::move(leftover);
    if (deferred_channel) {
      auto [h, ping] = std::move(*deferred_channel);
      deferred_channel.reset();
      start_channel(std::move(h), ping);
    }
  }

  void start_channel(std::shared_ptr<channel_handler> h,
                     uint32_t ping_ms) override {
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
    auto hub = caf::actor_cast<caf::actor>(
      ctx->system->registry().get(changefeed_hub_name));
    auto gen = ++stream_gen;
    channel = active_channel{gen, h, ping_ms, hub, false, false, {}};
    if (!hub || ctx->metrics.draining) {
      channel->failed = true;
      close(1001, hub ? "server shutting down" : "changefeed unavailable");
      return;
    }
    self->monitor(hub);
    self
      ->request(hub, std::chrono::seconds(10), subscribe_atom::value,
                caf::actor_cast<caf::actor>(self))
      .then(
        [this, gen](uint64_t tip) {
          if (!channel || channel->gen != gen)
            return;
          channel->open = true;
          auto h = channel->handler;
          guarded([&] {
            h->on_open(*this, tip);
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

  void on_ws_data(const std::string& bytes) {
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

  // ws_callbacks (send is shared with the HTTP session)
  void on_text(std::string message) override {
    if (channel && channel->open) {
      auto h = channel->handler;
      h->on_message(*this, std::move(message));
    }
  }

  void close_transport() override {
    closed = true;
    conn->close_after_writes();
  }

  // message_sink
  void send_text(std::string text) override { ws->send_text(text); }

  void close(uint16_t code, std::string reason) override {
    ws->close(code, reason);
    // the peer has a few seconds to answer the close frame
    self->delayed_send(self, std::chrono::seconds(5), ws_timeout_atom::value);
  }

  // -- helpers --------------------------------------------------------------

  /// Tells the socket side to read or pause only when the session's wish
  /// changes, so the common case sends nothing.
  void want_read() {
    // After an upgrade, stop reading while our answers (pongs, events)
    // pile up unread; the ping tick checks again.
    bool want =
      !closed && (ws ? conn->queued_writes() < 1024 : session->wants_read());
    if (want == reading)
      return;
    reading = want;
    if (want)
      conn->resume_reading();
    else
      conn->pause_reading();
  }
};

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
  opts.body_timeout_ms = hc.body_timeout_ms;
  opts.idle_timeout_ms = hc.idle_timeout_ms;
  opts.server_name = hc.server_name;
  opts.remote_addr = conn->remote_address();
  st.session = std::make_unique<http1::http1_session>(opts, st);
  // Whatever ends this actor (normal close, exception, kill) closes the
  // socket; the tcp_connection outlives us only until its handlers finish.
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
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
      if (st.ws)
        st.on_ws_data(bytes);
      else
        st.session->on_data(bytes);
      st.want_read();
    },
    [=](closed_atom) { self->quit(); },
    [=](tick_atom) {
      auto& st = self->state;
      st.session->check_timeouts();
      if (!st.closed)
        self->delayed_send(self, tick, tick_atom::value);
    },
    [=](drain_atom) {
      auto& st = self->state;
      st.session->drain();
      st.guarded([&] { st.wake_all_waits(); }); // long-polls answer now
      st.shutdown_stream("server shutting down");
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
    [=](ws_timeout_atom) {
      // the peer did not answer our close frame in time
      self->state.closed = true;
      self->state.conn->abort();
    },
    [=](publish_atom, const published_batch& b) { self->state.on_publish(b); },
    [=](stream_tick_atom, uint64_t gen) { self->state.on_stream_tick(gen); },
    [=](backfill_atom, uint64_t gen) { self->state.continue_backfill(gen); },
  };
}

} // namespace

caf::actor spawn_http_connection(caf::actor_system& sys, connection_ptr conn,
                                 std::shared_ptr<server_context> ctx) {
  return sys.spawn(http_connection, std::move(conn), std::move(ctx));
}

} // namespace themis
