/// Routes one MCP request (after initialize) to its area: ping, tools,
/// resources, prompts, logging and completions. Failures become JSON-RPC
/// errors; nothing a client sends ends in anything but an answer.

#include "handlers/mcp_context.hpp"

namespace themis::mcp {

void call_context::progress(double done, std::optional<double> total,
                            const std::string& message) {
  if (progress_token.is_null() || !streaming || done <= last_progress)
    return; // progress must increase with each notification
  last_progress = done;
  json p = {{"progressToken", progress_token}, {"progress", done}};
  if (total)
    p["total"] = *total;
  if (!message.empty() && sess && sess->version() >= "2025-03-26")
    p["message"] = message;
  notify(rpc_notification("notifications/progress", std::move(p)));
}

void dispatch(const context_ptr& c, const rpc_message& m, reply_fn done) {
  // `done` may be called from inside a tool and an exception thrown after
  // it must not answer twice
  auto answered = std::make_shared<bool>(false);
  reply_fn once = [answered, done](outcome o) {
    if (*answered)
      return;
    *answered = true;
    done(std::move(o));
  };
  try {
    auto& p = m.params;
    auto& meth = m.method;
    if (meth == "ping")
      return once({json::object()});
    if (meth == "tools/list")
      return once({tools_list()});
    if (meth == "tools/call")
      return tools_call(c, p, once);
    if (meth == "resources/list")
      return once({resources_list(*c, p)});
    if (meth == "resources/templates/list")
      return once({resource_templates_list()});
    if (meth == "resources/read")
      return once({resources_read(*c, p)});
    if (meth == "resources/subscribe" || meth == "resources/unsubscribe")
      return once({resources_subscribe(*c, p, meth == "resources/subscribe")});
    if (meth == "prompts/list")
      return once({prompts_list()});
    if (meth == "prompts/get")
      return once({prompts_get(*c, p)});
    if (meth == "completion/complete")
      return once({complete(*c, p)});
    if (meth == "logging/setLevel") {
      static const char* levels[] = {"debug",   "info",     "notice",
                                     "warning", "error",    "critical",
                                     "alert",   "emergency"};
      auto l = p.find("level");
      bool ok = l != p.end() && l->is_string() &&
                std::any_of(std::begin(levels), std::end(levels),
                            [&](const char* x) { return *l == x; });
      if (!ok)
        throw rpc_failure(invalid_params, "level must be one of the RFC 5424 "
                                          "severities (debug … emergency)");
      return once({json::object()});
    }
    if (meth == "initialize")
      throw rpc_failure(invalid_request,
                        "this session is initialized already; start a new "
                        "one without Mcp-Session-Id");
    throw rpc_failure(method_not_found, "Method not found: " + meth);
  } catch (const rpc_failure& f) {
    once({nullptr, f});
  } catch (const std::exception& e) {
    once({nullptr, rpc_failure(internal_error,
                               std::string("internal error: ") + e.what())});
  }
}

} // namespace themis::mcp
