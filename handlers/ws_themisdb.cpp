#include "handlers/ws_themisdb.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_table.hpp"
#include "handlers/ws_changefeed.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

int64_t unix_now_s() {
  return unix_now_ms() / 1000;
}

std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & ~0xF000ull) | 0x4000ull;                        // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; // variant
  char buf[40];
  std::snprintf(
    buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
    static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xFFFF),
    static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>(b >> 48),
    static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string query_reply(const api_response& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    j = json{{"body", j.is_discarded() ? json(r.body) : j}};
  j["type"] = "query_response";
  j["status"] = r.status >= 200 && r.status < 300 ? "ok" : "error";
  j["http_status"] = r.status;
  return dump(j);
}

} // namespace

std::string ws_welcome_frame() {
  return dump(json{{"protocol", "WebSocket"},
                   {"server", "ThemisDB"},
                   {"session_id", uuid4()},
                   {"timestamp", unix_now_s()},
                   {"type", "welcome"}});
}

std::string ws_pong_frame() {
  return dump(json{{"timestamp", unix_now_s()}, {"type", "pong"}});
}

void run_ws_query(const ws_query_ports& ports, const principal& who,
                  const json& frame, std::function<void(std::string)> reply) {
  auto fail = [&](int status, const std::string& why) {
    reply(query_reply(error_response(status, why)));
  };
  if (!ports.writer || !ports.work || !ports.env)
    return fail(501, "queries are not available on this connection");
  if (!who.has_scope("query"))
    return fail(403, "Token does not have required scope: query");
  std::vector<std::string> path = {"query"};
  if (frame.contains("aql"))
    path.push_back("aql");
  method_map m;
  std::vector<std::string> params;
  std::string label;
  if (!match_route(path, false, false, m, params, label) || !m.post)
    return fail(404, "no query route for this frame");
  auto req = std::make_shared<api_request>();
  req->method = "POST";
  req->path = label;
  req->headers.emplace_back("Content-Type", "application/json");
  auto body = frame;
  body.erase("type");
  body.erase("authorization"); // the socket's principal decides
  if (frame.contains("aql") && !body.contains("query"))
    body["query"] = body["aql"];
  req->body = dump(body);
  req->who = who;
  route_context ctx{*ports.env,
                    *req,
                    std::move(params),
                    *ports.writer,
                    *ports.notifier,
                    *ports.streams,
                    *ports.work,
                    *ports.services,
                    [req, reply](api_response r) { reply(query_reply(r)); }};
  m.post(ctx);
}

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

} // namespace themis
