/// WebSocket changefeed: GET /v2/changes (ThemisDB, `?from_sequence=`)
/// and GET /v1/changes/ws. Several subscriptions per socket, each with its
/// own filter and exclusive resume point:
///
///   → {"action":"subscribe","collection":"users","from_sequence":41}
///   ← {"type":"subscribed","subscription":1,"from_sequence":41}
///   ← {"subscription":1,"sequence":42,"type":"PUT",…}
///   → {"action":"unsubscribe","subscription":1}
///
/// ThemisDB's frames work alongside (`{"type":…}`, handlers/ws_themisdb.hpp):
/// one subscription per socket (id 0), INCLUSIVE `from_sequence`, events
/// as `{"type":"cdc_event","event_type":0-3,…}` in ThemisDB's event shape.
///
/// A subscription backfills (from_sequence, live] from the log, one page
/// at a time as the client reads, then gets live events (held meanwhile);
/// the socket's own live position makes the hand-over exact.

#include <charconv>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/themisdb_events.hpp"
#include "handlers/ws_themisdb.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
constexpr size_t max_subscriptions = 32;
constexpr size_t backfill_page = 1000;

constexpr int themisdb_sub = 0; ///< the id of ThemisDB's one subscription

class ws_changefeed : public channel_handler,
                      public std::enable_shared_from_this<ws_changefeed> {
public:
  ws_changefeed(handler_env& env, std::optional<json> initial, principal who,
                ws_query_ports ports) :
    env_(env),
    who_(std::move(who)), initial_(std::move(initial)),
    ports_(std::move(ports)) {}

  void on_open(message_sink& sink, uint64_t tip) override {
    live_ = tip;
    if (initial_ && initial_->contains("type")) {
      put(sink, ws_welcome_frame()); // ThemisDB: auto-subscribed, no reply
      themisdb_subscribe(sink, *initial_, false);
    } else if (initial_) {
      subscribe(sink, *initial_);
    }
  }

  void on_message(message_sink& sink, std::string text) override {
    json j;
    auto st = engine::parse_untrusted_json(text, j);
    if (st != engine::json_parse_status::ok || !j.is_object())
      return put(sink, dump({{"type", "error"},
                             {"message", "Invalid JSON"},
                             {"error", st == engine::json_parse_status::too_deep
                                         ? "nested too deeply"
                                       : st == engine::json_parse_status::ok
                                         ? "expected a JSON object"
                                         : "syntax error"},
                             {"status_code", 400}}));
    if (!j.contains("action"))
      return themisdb_frame(sink, j);
    if (!j["action"].is_string())
      return error(sink,
                   "expected {\"action\": \"subscribe\"|\"unsubscribe\", …}");
    auto action = j["action"].get<std::string>();
    if (action == "subscribe")
      return subscribe(sink, j);
    if (action == "unsubscribe") {
      if (!j.contains("subscription") || !j["subscription"].is_number_integer())
        return error(sink, "unsubscribe needs a numeric \"subscription\"");
      auto id = j["subscription"].get<int>();
      if (!subs_.erase(id))
        return error(sink, "no such subscription");
      put(sink, dump({{"type", "unsubscribed"}, {"subscription", id}}));
      return;
    }
    error(sink, "unknown action: " + action);
  }

  void on_events(message_sink& sink, const published_events& batch) override {
    for (size_t i = 0; i < batch.events.size() && !closed_; ++i) {
      auto& e = batch.events[i];
      if (e.sequence <= live_)
        continue;
      live_ = e.sequence;
      for (auto& [id, sub] : subs_) {
        auto& rendered = sub.themisdb              ? empty_
                         : sub.filter.include_docs ? batch.json[i]
                                                   : batch.json_nodoc[i];
        if (sub.backfilling) {
          // held until its backfill reaches the live position
          sub.held.emplace_back(e, rendered);
          if (sub.held.size() > env_.config.changefeed.max_queue_events)
            return overflow(sink);
          continue;
        }
        send_event(sink, id, sub, e, rendered);
      }
    }
  }

  void on_shutdown(message_sink& sink, const std::string& why) override {
    if (closed_)
      return;
    closed_ = true;
    sink.close(1001, why);
  }

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
  bool backfill_step(message_sink& sink) override {
    // One page for the first subscription still backfilling.
    for (auto it = subs_.begin(); it != subs_.end() && !closed_; ++it) {
      auto id = it->first;
      auto& s = it->second;
      if (!s.backfilling)
        continue;
      auto cursor = s.last;
      auto page = env_.reader.changes_after(cursor, backfill_page);
      if (env_.reader.compacted_through() > cursor) {
        subs_.erase(it);
        error(sink, "compacted during the backfill; re-snapshot", 410);
        return true;
      }
      backfilling_ = true; // bounded by the log, paced by the client
      for (auto& e : page) {
        if (e.sequence > s.target || closed_)
          break;
        send_event(sink, id, s, e,
                   s.themisdb ? empty_ : event_json(e, s.filter.include_docs));
      }
      backfilling_ = false;
      if (page.size() < backfill_page || s.last == cursor ||
          s.last >= s.target) {
        s.last = std::max(s.last, s.target);
        s.backfilling = false;
        auto held = std::move(s.held);
        s.held.clear();
        // the hand-over: bounded by max_queue_events while held
        backfilling_ = true;
        for (auto& [e, rendered] : held)
          send_event(sink, id, s, e, rendered);
        backfilling_ = false;
      }
      return true;
    }
    return false;
  }

private:
  void error(message_sink& sink, const std::string& why, int code = 400) {
    put(sink,
        dump({{"type", "error"}, {"message", why}, {"status_code", code}}));
  }

  /// Sends a message, counting its bytes on the wire (the frame header
  /// too); an event message is remembered until the network takes it.
  void put(message_sink& sink, std::string text, int sub = -1,
           uint64_t seq = 0) {
    auto n = text.size();
    written_ += n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
    if (sub >= 0) {
      // backfill pages are paced by the front-end; the event bound is
      // about live events piling up
      marks_.push_back({written_, sub, seq, !backfilling_});
      live_unsent_ += backfilling_ ? 0 : 1;
    }
    sink.send_text(std::move(text));
  }

  /// Forgets messages the network has taken (their subscription's resume
  /// point moves); true when what waits passes a bound, in bytes or in
  /// events, whatever the number of writes.
  bool behind(message_sink& sink) {
    auto unsent = sink.queued(); // bytes behind the write in flight
    // pings and pongs the session sent are not in written_: a little
    // slack so they do not hold back the last message taken
    constexpr uint64_t slack = 32;
    auto taken = written_ + slack > unsent ? written_ + slack - unsent : 0;
    while (!marks_.empty() && marks_.front().end <= taken) {
      auto& m = marks_.front();
      if (auto it = subs_.find(m.sub); it != subs_.end())
        it->second.delivered = std::max(it->second.delivered, m.seq);
      live_unsent_ -= m.live ? 1 : 0;
      marks_.pop_front();
    }
    return unsent > env_.config.changefeed.max_queue_bytes ||
           live_unsent_ >= env_.config.changefeed.max_queue_events;
  }

  void subscribe(message_sink& sink, const json& j) {
    if (subs_.size() >= max_subscriptions) {
      closed_ = true;
      return sink.close(1008, "too many subscriptions on one socket");
    }
    // Parameters as in the URL forms of the other transports.
    std::string query;
    auto add = [&](const char* k, const std::string& v) {
      query += (query.empty() ? "" : "&") + std::string(k) + "=" + v;
    };
    for (auto k : {"collection", "key_prefix"})
      if (j.contains(k) && j[k].is_string())
        add(k, j[k].get<std::string>());
    if (j.contains("collections") && j["collections"].is_array()) {
      std::string all;
      for (auto& c : j["collections"])
        if (c.is_string())
          all += (all.empty() ? "" : ",") + c.get<std::string>();
      add("collections", all);
    }
    if (j.contains("event_types") && j["event_types"].is_array()) {
      std::string all;
      for (auto& t : j["event_types"])
        if (t.is_string())
          all += (all.empty() ? "" : ",") + t.get<std::string>();
      add("event_types", all);
    }
    if (j.contains("include_docs") && j["include_docs"].is_boolean())
      add("include_docs", j["include_docs"].get<bool>() ? "true" : "false");
    subscription sub;
    if (auto err = change_filter::parse(query, sub.filter))
      return error(sink, *err);
    uint64_t after = live_;
    if (j.contains("from_sequence")) {
      auto& f = j["from_sequence"];
      if (f.is_number_unsigned())
        after = f.get<uint64_t>();
      else if (!(f.is_string() && f.get<std::string>() == "now"))
        return error(sink, "from_sequence: a sequence number or \"now\"");
    }
    auto id = next_id_;
    if (!add_subscription(sink, id, std::move(sub), after))
      return;
    ++next_id_;
    put(sink, dump({{"type", "subscribed"},
                    {"subscription", id},
                    {"from_sequence", subs_[id].sent},
                    {"latest_sequence", live_}}));
  }

  /// Adds subscription `id` resuming after `after` (clamped to the live
  /// position); false (an error sent) if that lies before the retained log.
  bool add_subscription(message_sink& sink, int id, subscription sub,
                        uint64_t after) {
    sub.filter.scope_to(who_);
    if (after > live_)
      after = live_;
    if (after < env_.reader.compacted_through()) {
      error(sink,
            "events after " + std::to_string(after) +
              " were compacted; re-snapshot and resume from the tip",
            410);
      return false;
    }
    sub.last = after;
    sub.sent = after;
    sub.delivered = after;
    auto& s = subs_[id] = std::move(sub);
    // Backfill (after, live_] page by page through backfill_step; live
    // events after live_ are held for it meanwhile.
    s.target = live_;
    s.backfilling = s.last < s.target;
    return true;
  }

  /// ThemisDB's control frames (`type`); handlers/ws_themisdb.hpp.
  void themisdb_frame(message_sink& sink, const json& j);
  void themisdb_subscribe(message_sink& sink, const json& j, bool reply);

  void send_event(message_sink& sink, int id, subscription& sub,
                  const engine::change_event& e, const std::string& rendered) {
    if (closed_ || e.sequence <= sub.last)
      return;
    if (!backfilling_ && behind(sink))
      return overflow(sink);
    sub.last = e.sequence;
    if (!sub.filter.matches(e))
      return;
    if (sub.themisdb) {
      auto table = engine::themisdb_table_of(sub.filter.shown(e));
      put(sink, themisdb_ws_frame(e, table), id, e.sequence);
      sub.sent = e.sequence;
      return;
    }
    // the event's own fields plus "subscription"; "type" is PUT or DELETE
    auto own = sub.filter.render(e, &rendered);
    std::string msg =
      "{\"subscription\":" + std::to_string(id) + "," + own.substr(1);
    put(sink, std::move(msg), id, e.sequence);
    sub.sent = e.sequence;
  }

  /// Ends a socket whose client reads too slowly: each subscription's
  /// resume point in a message, the smallest in the close reason.
  /// The front-end drops what waits behind the write in flight when it
  /// sees this message (it starts with {"type":"overflow"), so the
  /// positions are what the network took, not what was queued.
  void overflow(message_sink& sink) {
    closed_ = true;
    behind(sink); // the latest delivered positions
    json positions = json::object();
    uint64_t lowest = UINT64_MAX;
    for (auto& [id, sub] : subs_) {
      positions[std::to_string(id)] = sub.delivered;
      lowest = std::min(lowest, sub.delivered);
    }
    if (subs_.empty())
      lowest = live_;
    marks_.clear();
    live_unsent_ = 0;
    sink.send_text(
      "{\"type\":\"overflow\",\"last_sequences\":" + dump(positions) + "}");
    sink.close(1011, "overflow last_sequence=" + std::to_string(lowest));
  }

  handler_env& env_;
  principal who_; ///< whose events it may see (tenant scoping)
  std::optional<json> initial_;
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

void ws_changefeed::themisdb_frame(message_sink& sink, const json& j) {
  std::string type = "unknown";
  if (j.contains("type") && j["type"].is_string())
    type = j["type"].get<std::string>();
  if (type == "ping")
    return put(sink, ws_pong_frame());
  if (type == "subscribe")
    return themisdb_subscribe(sink, j, true);
  if (type == "unsubscribe") {
    json channel = j.contains("channel") ? j["channel"] : json("");
    if (!channel.is_string() || channel == "cdc" || channel == "changefeed" ||
        channel == "")
      subs_.erase(themisdb_sub);
    return put(
      sink,
      dump({{"channel", channel}, {"status", "ok"}, {"type", "unsubscribed"}}));
  }
  if (type == "query") {
    sink_ = &sink; // the connection: it outlives this handler's calls
    std::weak_ptr<ws_changefeed> self = shared_from_this();
    return run_ws_query(ports_, who_, j, [self](std::string reply) {
      if (auto me = self.lock(); me && !me->closed_ && me->sink_)
        me->put(*me->sink_, std::move(reply));
    });
  }
  put(sink, dump({{"message", "Unknown message type"},
                  {"received_type", type},
                  {"type", "error"}}));
}

void ws_changefeed::themisdb_subscribe(message_sink& sink, const json& j,
                                       bool reply) {
  json channel = j.contains("channel") ? j["channel"] : json("cdc");
  bool cdc = channel == "cdc" || channel == "changefeed";
  if (!cdc) { // ThemisDB: other channels are accepted and do nothing
    if (reply)
      put(
        sink,
        dump({{"channel", channel}, {"status", "ok"}, {"type", "subscribed"}}));
    return;
  }
  uint64_t from = 0;
  if (j.contains("from_sequence")) {
    if (!j["from_sequence"].is_number_unsigned())
      return error(sink, "from_sequence: expected a sequence number");
    from = j["from_sequence"].get<uint64_t>();
  }
  std::string prefix;
  if (j.contains("key_prefix") && j["key_prefix"].is_string())
    prefix = j["key_prefix"].get<std::string>();
  else if (j.contains("collection") && j["collection"].is_string())
    prefix = j["collection"].get<std::string>() + ":";
  subscription sub;
  sub.themisdb = true;
  sub.filter.format = event_format::themisdb;
  sub.filter.key_prefix = prefix;
  if (j.contains("filter") && j["filter"].is_object() &&
      j["filter"].contains("type")) {
    auto& t = j["filter"]["type"];
    if (!t.is_string())
      return error(sink, "filter.type: expected an event type name");
    if (auto err = change_filter::parse("event_types=" + t.get<std::string>(),
                                        sub.filter))
      return error(sink, *err);
  }
  // INCLUSIVE on this frame protocol (ThemisDB's clients rely on it):
  // from_sequence N delivers N onward, 0 everything retained
  auto after = from > 0 ? from - 1 : env_.reader.compacted_through();
  subs_.erase(themisdb_sub); // one ThemisDB subscription per socket
  if (!add_subscription(sink, themisdb_sub, std::move(sub), after))
    return;
  if (reply)
    put(sink, dump({{"channel", channel},
                    {"from_sequence", from},
                    {"key_prefix", prefix},
                    {"status", "ok"},
                    {"type", "subscribed"}}));
}

} // namespace

void changefeed_ws(route_context& ctx) {
  auto up = ctx.req.header("Upgrade");
  auto conn = ctx.req.header("Connection");
  bool has_upgrade_token = false;
  if (conn) {
    std::string v = *conn;
    for (auto& c : v)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    has_upgrade_token = v.find("upgrade") != std::string::npos;
  }
  if (!up || !iequals(*up, "websocket") || !has_upgrade_token) {
    auto r = error_response(426, "this endpoint needs a WebSocket upgrade");
    r.set_header("Upgrade", "websocket");
    return ctx.respond(std::move(r));
  }
  auto ver = ctx.req.header("Sec-WebSocket-Version");
  if (!ver || *ver != "13") {
    auto r = error_response(426, "Sec-WebSocket-Version must be 13");
    r.set_header("Sec-WebSocket-Version", "13");
    return ctx.respond(std::move(r));
  }
  // /v2/changes?from_sequence=N subscribes at once: in themisd's frames
  // (exclusive), or with format=themisdb in ThemisDB's (inclusive, a
  // welcome first, no subscribed reply), as ThemisDB's server does.
  std::optional<json> initial;
  if (auto f = query_param(ctx.req.query, "from_sequence")) {
    auto fmt = query_param(ctx.req.query, "format");
    if (fmt && *fmt != "themisdb" && *fmt != "themisd")
      return ctx.respond(
        error_response(400, "format: expected themisd (default) or themisdb"));
    bool themisdb = fmt && *fmt == "themisdb";
    json j = themisdb ? json{{"type", "subscribe"}, {"channel", "cdc"}}
                      : json{{"action", "subscribe"}};
    uint64_t v = 0;
    if (*f == "now" && !themisdb)
      j["from_sequence"] = "now";
    else if (parse_uint(*f, v))
      j["from_sequence"] = v;
    else if (themisdb)
      j["from_sequence"] = 0; // ThemisDB: an invalid value counts as 0
    else
      return ctx.respond(
        error_response(400, "from_sequence: expected a number"));
    if (auto c = query_param(ctx.req.query, "collection"))
      j["collection"] = *c;
    if (auto k = query_param(ctx.req.query, "key_prefix"))
      j["key_prefix"] = *k;
    initial = std::move(j);
  }
  // the connection's own ports (ctx.writer/ctx.work may be this request's
  // traced wrappers, gone after the 101): its front-end implements them
  ws_query_ports ports{
    &ctx.env,     dynamic_cast<write_port*>(&ctx.streams), &ctx.notifier,
    &ctx.streams, dynamic_cast<work_port*>(&ctx.streams),  &ctx.services};
  api_response r;
  r.status = 101;
  r.set_header("Upgrade", "websocket");
  ctx.respond(std::move(r));
  ctx.streams.start_channel(std::make_shared<ws_changefeed>(
                              ctx.env, std::move(initial), ctx.req.who, ports),
                            ctx.env.config.changefeed.heartbeat_ms);
}

} // namespace themis
