#include "actors/ws_wire_check.hpp"

#include "actors/server_context.hpp"
#include "actors/ws_message_codec.hpp"
#include "handlers/http_json.hpp"
#include "protocols/websocket/permessage_deflate.hpp"

namespace themis {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Comma-separated tokens of a header value, trimmed.
std::vector<std::string> tokens(const std::string* v) {
  std::vector<std::string> out;
  if (!v)
    return out;
  size_t pos = 0;
  while (pos <= v->size()) {
    auto comma = v->find(',', pos);
    auto t = v->substr(pos, comma == std::string::npos ? std::string::npos
                                                       : comma - pos);
    auto b = t.find_first_not_of(" \t");
    auto e = t.find_last_not_of(" \t");
    if (b != std::string::npos)
      out.push_back(t.substr(b, e - b + 1));
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

} // namespace

std::optional<wire_upgrade> check_wire_upgrade(const server_context& ctx,
                                               const api_request& req) {
  auto& mqtt_path = ctx.config.mqtt.ws_path;
  auto& pg_path = ctx.config.pg.ws_path;
  wire_upgrade u;
  if (!mqtt_path.empty() && req.path == mqtt_path && ctx.mqtt)
    u.kind = wire_kind::mqtt;
  else if (!pg_path.empty() && req.path == pg_path)
    u.kind = wire_kind::pg;
  else
    return std::nullopt;
  auto refuse = [&](int status, const std::string& why,
                    std::vector<std::pair<std::string, std::string>> hs = {}) {
    u.answer = error_response(status, why);
    for (auto& [k, v] : hs)
      u.answer.set_header(k, v);
    return u;
  };
  // RFC 6455 §4.2.1
  auto up = req.header("Upgrade");
  bool conn_upgrade = false;
  for (auto& t : tokens(req.header("Connection")))
    conn_upgrade |= lower(t) == "upgrade";
  if (req.method != "GET" || !up || lower(*up) != "websocket" || !conn_upgrade)
    return refuse(426, "this endpoint needs a WebSocket upgrade",
                  {{"Upgrade", "websocket"}});
  auto ver = req.header("Sec-WebSocket-Version");
  if (!ver || *ver != "13")
    return refuse(426, "Sec-WebSocket-Version must be 13",
                  {{"Sec-WebSocket-Version", "13"}});
  auto key = req.header("Sec-WebSocket-Key");
  if (!key || !ws::valid_client_key(*key))
    return refuse(400, "invalid Sec-WebSocket-Key");
  // the subprotocol: the one the client offered (MQTT 5.0 §6: "mqtt";
  // 3.1 clients say "mqttv3.1"); none we know: refused
  std::string proto;
  for (auto& t : tokens(req.header("Sec-WebSocket-Protocol"))) {
    bool ok = u.kind == wire_kind::mqtt ? (t == "mqtt" || t == "mqttv3.1")
                                        : (t == "pg" || t == "postgresql");
    if (ok) {
      proto = t;
      break;
    }
  }
  if (proto.empty() && u.kind == wire_kind::mqtt)
    return refuse(400, "Sec-WebSocket-Protocol must offer mqtt or mqttv3.1");
  u.accepted = true;
  u.answer.status = 101;
  u.answer.set_header("Upgrade", "websocket");
  u.answer.set_header("Sec-WebSocket-Accept", ws::accept_key(*key));
  if (!proto.empty())
    u.answer.set_header("Sec-WebSocket-Protocol", proto);
  return u;
}

ws::ws_options wire_tunnel_options(const server_context& ctx,
                                   const std::string& extensions,
                                   api_response& resp) {
  ws_message_codec codec; // (its encoding stays JSON: no changefeed)
  codec.negotiate(ctx.config, extensions, resp);
  auto o = codec.session_options(ctx.config);
  o.accept_text = false; // MQTT 5.0 §6.0: binary frames only (1003)
  o.accept_binary = true;
  return o;
}

} // namespace themis
