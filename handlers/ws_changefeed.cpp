/// WebSocket changefeed: GET /v2/changes (ThemisDB, `?from_sequence=`)
/// and GET /v1/changes/ws. Several subscriptions per socket, each with its
/// own filter and exclusive resume point:
///
///   → {"action":"subscribe","collection":"users","from_sequence":41}
///   ← {"type":"subscribed","subscription":1,"from_sequence":41}
///   ← {"subscription":1,"sequence":42,"type":"PUT",…}
///   → {"action":"unsubscribe","subscription":1}
///
/// A subscription backfills (from_sequence, live] from the log, one page
/// at a time as the client reads, then gets live events (held meanwhile);
/// the socket's own live position makes the hand-over exact.

#include <charconv>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "handlers/change_filter.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
constexpr size_t max_subscriptions = 32;
constexpr size_t backfill_page = 1000;

class ws_changefeed : public channel_handler {
public:
  ws_changefeed(handler_env& env, std::optional<json> initial, principal who) :
    env_(env), initial_(std::move(initial)), who_(std::move(who)) {}

  void on_open(message_sink& sink, uint64_t tip) override {
    live_ = tip;
    if (initial_)
      subscribe(sink, *initial_);
  }

  void on_message(message_sink& sink, std::string text) override {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("action") ||
        !j["action"].is_string())
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
        auto& rendered =
          sub.filter.include_docs ? batch.json[i] : batch.json_nodoc[i];
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
        send_event(sink, id, s, e, event_json(e, s.filter.include_docs));
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
  void put(message_sink& sink, std::string text, int sub = 0,
           uint64_t seq = 0) {
    auto n = text.size();
    written_ += n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
    if (sub != 0) {
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
    sub.filter.scope_to(who_);
    uint64_t after = live_;
    if (j.contains("from_sequence")) {
      auto& f = j["from_sequence"];
      if (f.is_number_unsigned())
        after = f.get<uint64_t>();
      else if (!(f.is_string() && f.get<std::string>() == "now"))
        return error(sink, "from_sequence: a sequence number or \"now\"");
    }
    if (after > live_)
      after = live_;
    if (after < env_.reader.compacted_through())
      return error(sink,
                   "events after " + std::to_string(after) +
                     " were compacted; re-snapshot and resume from the tip",
                   410);
    auto id = next_id_++;
    sub.last = after;
    sub.sent = after;
    sub.delivered = after;
    auto& s = subs_.emplace(id, std::move(sub)).first->second;
    put(sink, dump({{"type", "subscribed"},
                    {"subscription", id},
                    {"from_sequence", after},
                    {"latest_sequence", live_}}));
    // Backfill (after, live_] page by page through backfill_step; live
    // events after live_ are held for it meanwhile.
    s.target = live_;
    s.backfilling = s.last < s.target;
  }

  void send_event(message_sink& sink, int id, subscription& sub,
                  const engine::change_event& e, const std::string& rendered) {
    if (closed_ || e.sequence <= sub.last)
      return;
    if (!backfilling_ && behind(sink))
      return overflow(sink);
    sub.last = e.sequence;
    if (!sub.filter.matches(e))
      return;
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
  // ThemisDB: /v2/changes?from_sequence=N subscribes at once.
  std::optional<json> initial;
  if (auto f = query_param(ctx.req.query, "from_sequence")) {
    json j = {{"action", "subscribe"}};
    uint64_t v = 0;
    if (*f == "now")
      j["from_sequence"] = "now";
    else if (parse_uint(*f, v))
      j["from_sequence"] = v;
    else
      return ctx.respond(
        error_response(400, "from_sequence: expected a number"));
    if (auto c = query_param(ctx.req.query, "collection"))
      j["collection"] = *c;
    if (auto k = query_param(ctx.req.query, "key_prefix"))
      j["key_prefix"] = *k;
    initial = std::move(j);
  }
  api_response r;
  r.status = 101;
  r.set_header("Upgrade", "websocket");
  ctx.respond(std::move(r));
  ctx.streams.start_channel(
    std::make_shared<ws_changefeed>(ctx.env, std::move(initial), ctx.req.who),
    ctx.env.config.changefeed.heartbeat_ms);
}

} // namespace themis
