#include "handlers/ws_changefeed.hpp"

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/themisdb_events.hpp"
#include "handlers/changefeed_encoding.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
constexpr size_t max_subscriptions = 32;
constexpr size_t backfill_page = 1000;

} // namespace

void ws_changefeed::on_open(message_sink& sink, uint64_t tip) {
  live_ = tip;
  if (initial_ && initial_->contains("type")) {
    put(sink, ws_welcome_frame()); // ThemisDB: auto-subscribed, no reply
    themisdb_subscribe(sink, *initial_, false);
  } else if (initial_) {
    subscribe(sink, *initial_);
  }
}

void ws_changefeed::on_message(message_sink& sink, std::string text) {
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

void ws_changefeed::on_events(message_sink& sink,
                              const published_events& batch) {
  for (size_t i = 0; i < batch.events.size() && !closed_; ++i) {
    auto& e = batch.events[i];
    if (e.sequence <= live_)
      continue;
    live_ = e.sequence;
    for (auto& [id, sub] : subs_) {
      auto& rendered = sub.themisdb              ? empty_
                       : sub.filter.include_docs ? batch.json()[i]
                                                 : batch.json_nodoc()[i];
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

void ws_changefeed::on_shutdown(message_sink& sink, const std::string& why) {
  if (closed_)
    return;
  closed_ = true;
  sink.close(1001, why);
}

bool ws_changefeed::backfill_step(message_sink& sink) {
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
    if (page.size() < backfill_page || s.last == cursor || s.last >= s.target) {
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

void ws_changefeed::error(message_sink& sink, const std::string& why,
                          int code) {
  put(sink, dump({{"type", "error"}, {"message", why}, {"status_code", code}}));
}

void ws_changefeed::put(message_sink& sink, std::string text, int sub,
                        uint64_t seq) {
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

bool ws_changefeed::behind(message_sink& sink) {
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

void ws_changefeed::subscribe(message_sink& sink, const json& j) {
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

bool ws_changefeed::add_subscription(message_sink& sink, int id,
                                     subscription sub, uint64_t after) {
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

void ws_changefeed::send_event(message_sink& sink, int id, subscription& sub,
                               const engine::change_event& e,
                               const std::string& rendered) {
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

void ws_changefeed::overflow(message_sink& sink) {
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
  // traced wrappers, gone after the 101)
  ws_query_ports ports{
    &ctx.env,     &ctx.streams.connection_writer(), &ctx.notifier,
    &ctx.streams, &ctx.streams.connection_work(),   &ctx.services};
  api_response r;
  r.status = 101;
  r.set_header("Upgrade", "websocket");
  // binary encodings of the same messages by subprotocol (issue 19;
  // docs/changefeeds.md); text JSON without one
  if (auto offered = ctx.req.header("Sec-WebSocket-Protocol")) {
    auto enc = ws::pick_encoding(*offered);
    if (enc != ws::message_encoding::json)
      r.set_header("Sec-WebSocket-Protocol",
                   std::string(ws::subprotocol_name(enc)));
    else if (ws::offers_subprotocol(*offered, ws::json_subprotocol))
      r.set_header("Sec-WebSocket-Protocol", std::string(ws::json_subprotocol));
  }
  ctx.respond(std::move(r));
  ctx.streams.start_channel(std::make_shared<ws_changefeed>(
                              ctx.env, std::move(initial), ctx.req.who, ports),
                            ctx.env.config.changefeed.heartbeat_ms);
}

} // namespace themis
