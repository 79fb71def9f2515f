#pragma once
/// ThemisDB's `/v2/changes` control frames that are not about
/// subscriptions: the welcome, ping/pong, and `{"type":"query"}` frames run
/// as the HTTP query routes would (handlers/ws_changefeed.cpp keeps the
/// subscriptions themselves).

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "handlers/handler_env.hpp"
#include "themis/principal.hpp"

namespace themis {

/// The connection's own ports, which outlive the upgrade request (the
/// request's traced ports do not): what a query frame needs to run.
struct ws_query_ports {
  handler_env* env = nullptr;
  write_port* writer = nullptr; ///< null: queries are not available
  change_notifier* notifier = nullptr;
  stream_port* streams = nullptr;
  work_port* work = nullptr;
  service_port* services = nullptr;
};

/// `{"protocol":"WebSocket","server":"ThemisDB","session_id","timestamp",
/// "type":"welcome"}`.
std::string ws_welcome_frame();
/// `{"timestamp":<unix s>,"type":"pong"}`.
std::string ws_pong_frame();

/// Runs `frame` (minus `type` and `authorization`) as the body of POST
/// /query/aql (or POST /query without `aql`) for `who`; `reply` gets the
/// answer's JSON plus `"type":"query_response"`, `"status"` ("ok" for
/// 2xx, else "error") and `"http_status"`, on the connection's context.
void run_ws_query(const ws_query_ports& ports, const principal& who,
                  const nlohmann::json& frame,
                  std::function<void(std::string)> reply);

} // namespace themis
