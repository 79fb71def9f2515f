#pragma once
/// WebSocket changefeed: GET /v2/changes (ThemisDB, `?from_sequence=`)
/// and GET /v1/changes/ws. Several subscriptions per socket, each with its
/// own filter and exclusive resume point:
///
///   → {"action":"subscribe","collection":"users","from_sequence":41}
///   ← {"type":"subscribed","subscription":1,"from_sequence":41}
///   ← {"subscription":1,"sequence":42,"type":"PUT",…}
///   → {"action":"unsubscribe","subscription":1}
///
/// ThemisDB's frames work alongside (`{"type":…}`, handlers/ws_themisdb.cpp):
/// one subscription per socket (id 0), INCLUSIVE `from_sequence`, events
/// as `{"type":"cdc_event","event_type":0-3,…}` in ThemisDB's event shape.
///
/// A subscription backfills (from_sequence, live] from the log, one page
/// at a time as the client reads, then gets live events (held meanwhile);
/// the socket's own live position makes the hand-over exact.

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "handlers/change_filter.hpp"
#include "handlers/handler_env.hpp"
#include "handlers/ws_themisdb.hpp"

namespace themis {

class ws_changefeed : public channel_handler,
                      public std::enable_shared_from_this<ws_changefeed> {
public:
  /// The id of ThemisDB's one subscription (themisd's start at 1).
  static constexpr int themisdb_sub = 0;

  ws_changefeed(handler_env& env, std::optional<nlohmann::json> initial,
                principal who, ws_query_ports ports) :
    env_(env),
    who_(std::move(who)), initial_(std::move(initial)),
    ports_(std::move(ports)) {}

  void on_open(message_sink& sink, uint64_t tip) override;

  void on_message(message_sink& sink, std::string text) override;

  void on_events(message_sink& sink, const published_events& batch) override;

  void on_shutdown(message_sink& sink, const std::string& why) override;

private:
  struct subscription {
    change_filter filter;
    uint64_t last = 0; ///< highest sequence examined for it
    uint64_t sent = 0; ///< last event sent, or the start
    /// Resume point: the last event the network took (what is queued
    /// behind may be dropped on overflow), or the start.
    uint64_t delivered = 0;
    uint64_t target = 0; ///< backfill up to here, then live
    bool backfilling = false;
    bool themisdb = false; ///< ThemisDB's frames (cdc_event)
    std::vector<std::pair<engine::change_event, std::string>> held;
  };

public:
  bool backfill_step(message_sink& sink) override;

private:
  void error(message_sink& sink, const std::string& why, int code = 400);

  /// Sends a message, counting its bytes on the wire (the frame header
  /// too); an event message is remembered until the network takes it.
  void put(message_sink& sink, std::string text, int sub = -1,
           uint64_t seq = 0);

  /// Forgets messages the network has taken (their subscription's resume
  /// point moves); true when what waits passes a bound, in bytes or in
  /// events, whatever the number of writes.
  bool behind(message_sink& sink);

  void subscribe(message_sink& sink, const nlohmann::json& j);

  /// Adds subscription `id` resuming after `after` (clamped to the live
  /// position); false (an error sent) if that lies before the retained log.
  bool add_subscription(message_sink& sink, int id, subscription sub,
                        uint64_t after);

  /// ThemisDB's control frames (`type`); handlers/ws_themisdb.hpp.
  void themisdb_frame(message_sink& sink, const nlohmann::json& j);
  void themisdb_subscribe(message_sink& sink, const nlohmann::json& j,
                          bool reply);

  void send_event(message_sink& sink, int id, subscription& sub,
                  const engine::change_event& e, const std::string& rendered);

  /// Ends a socket whose client reads too slowly: each subscription's
  /// resume point in a message, the smallest in the close reason.
  /// The front-end drops what waits behind the write in flight when it
  /// sees this message (it starts with {"type":"overflow"), so the
  /// positions are what the network took, not what was queued.
  void overflow(message_sink& sink);

  handler_env& env_;
  principal who_; ///< whose events it may see (tenant scoping)
  std::optional<nlohmann::json> initial_;
  ws_query_ports ports_;
  message_sink* sink_ = nullptr; ///< the connection (for query answers)
  const std::string empty_;
  std::map<int, subscription> subs_;
  int next_id_ = 1;
  uint64_t live_ = 0; ///< last sequence this socket has seen live
  /// Event messages not yet taken by the network, by where they end.
  struct mark {
    uint64_t end;
    int sub;
    uint64_t seq;
    bool live;
  };
  std::deque<mark> marks_;
  size_t live_unsent_ = 0; ///< live event messages among marks_
  uint64_t written_ = 0;   ///< bytes put on the wire, frame headers included
  bool backfilling_ = false;
  bool closed_ = false;
};

} // namespace themis
