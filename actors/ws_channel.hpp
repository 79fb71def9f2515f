#pragma once
/// A changefeed WebSocket — a channel_handler: /v2/changes,
/// /v1/changes/ws, GraphQL subscriptions over graphql-transport-ws — on
/// one stream of a multiplexed connection (HTTP/3 extended CONNECT, RFC
/// 9220). It owns what the TCP connection actor keeps for its one
/// WebSocket: the WebSocket session on the stream, the handler, its
/// subscription to the changefeed hub, events that arrive before the
/// subscription opened, the paced backfill, pings and the close
/// handshake's deadline. The connection actor that carries it is its
/// ws_channel_host and routes the channel's timer messages back by
/// generation (`behavior`). Private to actors/.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/ws_message_codec.hpp"
#include "handlers/handler_env.hpp"
#include "protocols/http_front.hpp"

namespace themis {

struct server_context;

/// What a ws_channel needs from the connection actor that carries it.
class ws_channel_host {
public:
  virtual ~ws_channel_host() = default;
  /// The connection's HTTP session now (nullptr once it is gone).
  virtual http_front* channel_front() = 0;
  /// Abandons the stream both ways (the peer never answered our close).
  virtual void channel_reset(uint64_t stream_id) = 0;
  /// Runs a handler callback: an exception ends the connection.
  virtual void channel_guarded(const std::function<void()>& f) = 0;
  /// After work that arrived outside the host's own calls (the hub's
  /// answer): lets what the channel wrote out.
  virtual void channel_flush() = 0;
};

class ws_channel : public std::enable_shared_from_this<ws_channel>,
                   private ws::ws_callbacks,
                   public message_sink {
public:
  /// For stream `stream_id` whose 101 (as a 200) is out, with what was
  /// negotiated for it; `gen` tells its timer messages apart.
  ws_channel(caf::event_based_actor* self, std::shared_ptr<server_context> ctx,
             ws_channel_host& host, uint64_t stream_id, uint64_t gen,
             const ws_message_codec& codec);
  ~ws_channel() override;

  uint64_t stream_id() const { return id_; }
  uint64_t gen() const { return gen_; }
  bool started() const { return handler_ != nullptr || failed_; }
  /// The handler's start_channel: subscribes to the hub; the client's
  /// messages and the events flow once the hub has answered.
  void start(std::shared_ptr<channel_handler> h, uint32_t ping_ms);
  /// DATA of the stream (`end`: the client ended its side).
  void on_data(std::string_view bytes, bool end);
  void on_publish(const published_batch& b);
  /// The server drains (1001) or the hub restarted (1011): the handler
  /// says why and closes.
  void shutdown(const std::string& why, uint16_t code);
  /// Whether `hub` is the hub this channel is subscribed to.
  bool watches(const caf::actor_addr& hub) const;
  /// The stream is gone (closed or reset): unsubscribes.
  void stop();

  /// The channel messages (ws_ping_atom, ws_backfill_atom, ws_timeout_atom,
  /// each with the generation) for the host's behavior: `find(gen)` is
  /// the host's channel of that generation, if any; `after` runs after
  /// each.
  static caf::message_handler
  behavior(std::function<std::shared_ptr<ws_channel>(uint64_t)> find,
           std::function<void()> after);

  // message_sink (the handler's side)
  void send_text(std::string text) override;
  void close(uint16_t code, std::string reason) override;
  size_t queued() const override;

private:
  // ws::ws_callbacks (the session's side)
  void on_text(std::string message) override;
  void on_binary(std::string message) override;
  void send(std::string bytes) override;
  void close_transport() override;

  void opened(uint64_t tip);
  void subscribe_failed();
  void on_ping();
  void kick_backfill();
  void on_backfill();
  void on_close_timeout();
  /// Bytes of this stream not yet acknowledged by the peer (on the wire).
  size_t backlog() const;

  caf::event_based_actor* self_;
  std::shared_ptr<server_context> ctx_;
  ws_channel_host& host_;
  uint64_t id_;
  uint64_t gen_;
  ws_message_codec codec_;
  std::unique_ptr<ws::ws_session> ws_;
  std::shared_ptr<channel_handler> handler_;
  uint32_t ping_ms_ = 0;
  caf::actor hub_;
  bool open_ = false;   ///< the hub answered: events flow
  bool failed_ = false; ///< never opened: no events, just the close
  bool ended_ = false;  ///< our FIN is out
  bool backfill_scheduled_ = false;
  std::string pending_; ///< the client's bytes before the channel opened
  std::vector<published_batch> early_; ///< events before it opened
};

} // namespace themis
