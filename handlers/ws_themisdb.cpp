#include "handlers/ws_themisdb.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_table.hpp"
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

} // namespace themis
