#pragma once
/// One invocation of an uploaded function (issue 27), shared by
/// `POST /api/v1/functions/{id}/invoke`, the bound routes
/// `/fn/{tenant}/{id}/...` and the triggers: the caller's namespace and
/// scopes behind the host API, request metadata as the module's
/// environment, statistics, the function's log and the audit of limit
/// kills, and the HTTP answer of a result.

#include <memory>
#include <string>
#include <vector>

#include "functions/function_registry.hpp"
#include "functions/wasm_runtime.hpp"
#include "handlers/handler_env.hpp"

namespace themis {

struct route_context;

/// The registry, or a 404 has been sent (functions.enabled is off).
functions::function_registry* function_registry_of(route_context& ctx);
/// The caller's function `{id}` (the first path parameter), or a 404 has
/// been sent: another tenant's function is not found.
std::shared_ptr<functions::function_entry> function_of(route_context& ctx);

/// What one invocation gets besides the function: stdin, argv after the
/// id, and environment entries after the request's metadata.
struct invocation_request {
  std::string body;
  std::vector<std::string> args;
  std::vector<std::string> environ;
  /// Functions the triggering MQTT message went through (mqtt_publish
  /// sends hops + 1; see function_registry::max_hops).
  uint32_t hops = 0;
};

/// Runs `f` for `req` on the calling (worker) thread: the host API acts as
/// `req.who` (its tenant's namespace, its scopes; writes through `w`);
/// records the statistics and the log line and audits limit kills.
functions::invocation_result run_function(handler_env& env,
                                          const api_request& req,
                                          functions::function_entry& f,
                                          blocking_writer& w,
                                          invocation_request in);

/// The HTTP answer of a result: the module's status, headers and stdout,
/// or the documented error status with `X-Function-Outcome`.
api_response answer_of(const functions::invocation_result& r);

/// Admits (concurrency limits: 429 + Retry-After) and runs `f` on the work
/// port, answering through `ctx.respond`.
void start_invocation(route_context& ctx,
                      std::shared_ptr<functions::function_entry> f,
                      invocation_request in);

} // namespace themis
