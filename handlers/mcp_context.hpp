#pragma once
/// What one MCP request's handling needs, shared by the tools, resources
/// and prompts (handlers/mcp_*.cpp): the handler environment, the caller,
/// the connection's ports, its session and — for a call answered as an
/// SSE stream — a way to send notifications before the result.

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "handlers/handler_env.hpp"
#include "handlers/mcp_rpc.hpp"
#include "handlers/mcp_session.hpp"

namespace themis::mcp {

struct call_context {
  handler_env& env;
  principal who;
  /// The HTTP request's identity fields (request id, peer, traceparent),
  /// copied: requests to services are built from it after it is gone.
  api_request base;
  write_port& writer;
  work_port& work;
  service_port& services;
  std::shared_ptr<session> sess;
  /// params._meta.progressToken of the request (null: none).
  json progress_token;
  /// Sends a notification on this request's stream (a no-op when the
  /// answer is plain JSON). Called on the connection's actor.
  std::function<void(json)> notify = [](json) {};
  /// Whether `notify` reaches the client (the answer is an SSE stream).
  bool streaming = false;
  /// Called by the SSE stream every tick while the call runs (a running
  /// query reports its progress from here).
  std::function<void()> on_tick;
  /// This call's cancellation handle (tools/call only, else null).
  std::shared_ptr<call_handle> call;
  /// The request's id, JSON text (for the session's call table).
  std::string id_text;
  double last_progress = -1;

  bool cancelled() const { return call && call->cancelled.load(); }
  /// notifications/progress for this request, when the client asked.
  void progress(double done, std::optional<double> total,
                const std::string& message);
};

using context_ptr = std::shared_ptr<call_context>;

/// A JSON-RPC error to answer instead of a result.
struct rpc_failure : std::runtime_error {
  int code;
  json data;
  rpc_failure(int c, const std::string& m, json d = nullptr) :
    std::runtime_error(m), code(c), data(std::move(d)) {}
};

/// A result (or, with `error` set, an rpc_failure's answer); called once,
/// on the connection's actor. A call that was cancelled answers nothing.
struct outcome {
  json result;
  std::optional<rpc_failure> error;
  outcome(json r) : result(std::move(r)) {}
  outcome(std::nullptr_t, rpc_failure f) : error(std::move(f)) {}
};
using reply_fn = std::function<void(outcome)>;

/// Dispatches one request (not initialize); `done` runs exactly once.
void dispatch(const context_ptr& c, const rpc_message& m, reply_fn done);

// -- per area (mcp_tools.cpp, mcp_resources.cpp, mcp_prompts.cpp) ----------

json tools_list();
void tools_call(const context_ptr& c, const json& params, reply_fn done);

json resources_list(call_context& c, const json& params);
json resource_templates_list();
json resources_read(call_context& c, const json& params);
json resources_subscribe(call_context& c, const json& params, bool on);

json prompts_list();
json prompts_get(call_context& c, const json& params);
json complete(call_context& c, const json& params);

/// The engine's name of `name` for `c`'s principal, or an rpc_failure /
/// tool error naming the bad name (by `as_tool_error`).
std::string stored_name(const call_context& c, const std::string& name);
/// The name the principal knows a stored collection by ("" : not its).
std::string shown_name(const call_context& c, const std::string& stored);

} // namespace themis::mcp
