/// A changefeed WebSocket on one stream of a multiplexed connection (see
/// ws_channel.hpp). The order of things follows the TCP connection
/// actor's channel (http_connection_streams.cpp): the hub's answer opens
/// it, events and client bytes that came before are replayed then, and
/// the backfill goes one page at a time while the peer keeps up.

#include "actors/ws_channel.hpp"

#include <algorithm>
#include <caf/all.hpp>

#include "actors/server_context.hpp"

namespace themis {

ws_channel::ws_channel(caf::event_based_actor* self,
                       std::shared_ptr<server_context> ctx,
                       ws_channel_host& host, uint64_t stream_id, uint64_t gen,
                       const ws_message_codec& codec) :
  self_(self),
  ctx_(std::move(ctx)), host_(host), id_(stream_id), gen_(gen), codec_(codec) {
  ws_ = std::make_unique<ws::ws_session>(codec_.session_options(ctx_->config),
                                         static_cast<ws::ws_callbacks&>(*this));
}

ws_channel::~ws_channel() = default;

void ws_channel::start(std::shared_ptr<channel_handler> h, uint32_t ping_ms) {
  if (started())
    return;
  handler_ = std::move(h);
  ws_->count_into(ctx_->metrics.ws_counters(handler_->endpoint()));
  ping_ms_ = std::max<uint32_t>(ping_ms, 10);
  auto hub = registered(*ctx_->system, changefeed_hub_name);
  if (!hub || ctx_->metrics.draining) {
    failed_ = true;
    close(1001, hub ? "server shutting down" : "changefeed unavailable");
    return;
  }
  hub_ = hub;
  self_->monitor(hub);
  std::weak_ptr<ws_channel> weak = shared_from_this();
  self_
    ->request(hub, std::chrono::seconds(10), subscribe_atom::value,
              caf::actor_cast<caf::actor>(self_))
    .then(
      [weak](uint64_t tip) {
        if (auto c = weak.lock())
          c->opened(tip);
      },
      [weak](caf::error&) {
        if (auto c = weak.lock())
          c->subscribe_failed();
      });
  self_->delayed_send(self_, std::chrono::milliseconds(ping_ms_),
                      ws_ping_atom::value, gen_);
}

void ws_channel::opened(uint64_t tip) {
  if (open_ || failed_ || ended_)
    return;
  open_ = true;
  auto h = handler_;
  host_.channel_guarded([&] {
    h->on_open(*this, tip);
    kick_backfill();
    auto early = std::move(early_);
    early_.clear();
    for (auto& b : early)
      h->on_events(*this, *b);
    auto bytes = std::move(pending_);
    pending_.clear();
    if (!bytes.empty())
      ws_->on_data(bytes);
  });
  host_.channel_flush();
}

void ws_channel::subscribe_failed() {
  if (open_ || failed_)
    return;
  failed_ = true;
  early_.clear();
  stop();
  close(1011, "changefeed unavailable");
  host_.channel_flush();
}

void ws_channel::on_data(std::string_view bytes, bool end) {
  if (end) {
    // the client ended its side: after the close handshake that is the
    // normal end; before it, the WebSocket is gone (1006). Our side ends
    // too; the stream's close then stops the subscription.
    close_transport();
    return;
  }
  if (backlog() > 2 * ctx_->config.changefeed.max_queue_bytes + (1u << 20)) {
    // the client keeps writing (pings, requests) but reads nothing of
    // what they make us send: our output stays bounded, the stream goes
    host_.channel_reset(id_);
    return;
  }
  if (ws_->closing() || failed_) {
    // closing: only the peer's close frame matters now
    auto all = std::move(pending_);
    pending_.clear();
    all.append(bytes);
    host_.channel_guarded([&] { ws_->on_data(all); });
    return;
  }
  if (!open_) {
    pending_.append(bytes);
    if (pending_.size() > ctx_->config.http.max_body_bytes)
      close(1009, "too much data before the subscription opened");
    return;
  }
  host_.channel_guarded([&] { ws_->on_data(bytes); });
}

void ws_channel::on_publish(const published_batch& b) {
  if (failed_ || ended_ || !handler_)
    return;
  if (!open_) {
    // bounded like a subscriber's queue; the hub answers within moments
    if (early_.size() >= ctx_->config.changefeed.max_queue_events) {
      failed_ = true;
      early_.clear();
      stop();
      close(1011, "overflow before the subscription opened, resume");
      return;
    }
    early_.push_back(b);
    return;
  }
  auto h = handler_;
  host_.channel_guarded([&] { h->on_events(*this, *b); });
}

void ws_channel::shutdown(const std::string& why, uint16_t code) {
  if (open_) {
    auto h = handler_;
    host_.channel_guarded([&] { h->on_shutdown(*this, why); });
  } else if (!ws_->closing()) {
    close(code, why);
  }
}

bool ws_channel::watches(const caf::actor_addr& hub) const {
  return hub_ && hub_.address() == hub;
}

void ws_channel::stop() {
  if (!hub_)
    return;
  self_->demonitor(hub_.address());
  self_->send(hub_, unsub_atom::value, caf::actor_cast<caf::actor>(self_));
  hub_ = nullptr;
}

// -- the handler's side
// --------------------------------------------------------

void ws_channel::send_text(std::string text) {
  // (no discard of queued events before an overflow notice, unlike a
  // socket: what is handed to the stream is QUIC's to deliver)
  codec_.send(*ws_, text, backlog());
}

void ws_channel::close(uint16_t code, std::string reason) {
  ws_->close(code, reason);
  // the peer has a few seconds to answer the close frame
  self_->delayed_send(self_, std::chrono::seconds(5), ws_timeout_atom::value,
                      gen_);
}

size_t ws_channel::queued() const {
  auto wire = backlog();
  return codec_.resized() ? codec_.logical(wire) : wire;
}

size_t ws_channel::backlog() const {
  auto* f = host_.channel_front();
  return f ? f->stream_backlog(id_) : 0;
}

// -- the session's side
// ----------------------------------------------------------

void ws_channel::on_text(std::string message) {
  if (!open_)
    return;
  auto h = handler_;
  h->on_message(*this, std::move(message));
  kick_backfill();
}

void ws_channel::on_binary(std::string message) {
  // a binary encoding's client message: the same JSON object
  auto text = codec_.decode(message);
  if (!text) {
    close(1007, "not a valid message in the negotiated encoding (at most " +
                  std::to_string(ws::max_binary_client_message) + " bytes)");
    return;
  }
  on_text(std::move(*text));
}

void ws_channel::send(std::string bytes) {
  if (ended_)
    return;
  if (auto* f = host_.channel_front())
    f->stream_data(id_, bytes);
}

void ws_channel::close_transport() {
  if (ended_)
    return;
  ended_ = true;
  if (auto* f = host_.channel_front())
    f->stream_end(id_);
}

// -- timers
// ------------------------------------------------------------------------

void ws_channel::on_ping() {
  if (ended_ || ws_->closing())
    return;
  ws_->send_ping("hb");
  self_->delayed_send(self_, std::chrono::milliseconds(ping_ms_),
                      ws_ping_atom::value, gen_);
}

void ws_channel::kick_backfill() {
  if (backfill_scheduled_)
    return;
  backfill_scheduled_ = true;
  self_->send(self_, ws_backfill_atom::value, gen_);
}

void ws_channel::on_backfill() {
  backfill_scheduled_ = false;
  if (!open_ || ended_ || ws_->closing())
    return;
  if (backlog() > 0) { // the client has not acknowledged the last page
    backfill_scheduled_ = true;
    self_->delayed_send(self_, std::chrono::milliseconds(5),
                        ws_backfill_atom::value, gen_);
    return;
  }
  auto h = handler_;
  bool more = false;
  host_.channel_guarded([&] { more = h->backfill_step(*this); });
  if (more)
    kick_backfill();
}

void ws_channel::on_close_timeout() {
  // the peer did not answer our close frame (or end its side) in time:
  // the stream is reset, which ends the channel
  host_.channel_reset(id_);
}

caf::message_handler
ws_channel::behavior(std::function<std::shared_ptr<ws_channel>(uint64_t)> find,
                     std::function<void()> after) {
  return {
    [=](ws_ping_atom, uint64_t gen) {
      if (auto c = find(gen))
        c->on_ping();
      after();
    },
    [=](ws_backfill_atom, uint64_t gen) {
      if (auto c = find(gen))
        c->on_backfill();
      after();
    },
    [=](ws_timeout_atom, uint64_t gen) {
      if (auto c = find(gen))
        c->on_close_timeout();
      after();
    },
  };
}

} // namespace themis
