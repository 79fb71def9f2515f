/// MCP tools over the job manager (docs/jobs.md), as /v1/jobs requests
/// on the caller's behalf: submit_job (with wait: long-polls the job,
/// reporting progress, and cancels it when the call is cancelled),
/// job_status and job_result.

#include <chrono>

#include "handlers/http_json.hpp"
#include "handlers/mcp_tool_util.hpp"

namespace themis::mcp {

namespace {

/// The error text of an answer from a REST-shaped service.
std::string message_of(const api_response& r) {
  json b;
  if (!parse_json_body(r.body, b) && !b.is_discarded() && b.is_object() &&
      b.contains("message") && b["message"].is_string())
    return b["message"].get<std::string>();
  return "HTTP " + std::to_string(r.status);
}

api_request service_request(const call_context& c, std::string method,
                            std::string path, std::string query = {},
                            std::string body = {}) {
  api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}};
  r.remote_addr = c.base.remote_addr;
  r.request_id = c.base.request_id;
  r.traceparent = c.base.traceparent;
  r.who = c.who;
  return r;
}

bool terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

bool valid_job_id(const std::string& id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char ch : id)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  return true;
}

/// Answers a service response as a tool result: 2xx → its JSON body.
json service_result(const api_response& r) {
  if (r.status >= 300)
    return tool_failed(message_of(r));
  json b;
  if (parse_json_body(r.body, b) || b.is_discarded() || !b.is_object())
    return tool_failed("unreadable answer from the job manager");
  return tool_ok(std::move(b));
}

/// submit_job with wait: long-polls the job (500 ms at a time) until it
/// ends, the call is cancelled or `deadline` passes; reports progress.
void poll_job(const context_ptr& c, std::string id,
              std::chrono::steady_clock::time_point deadline, reply_fn done) {
  if (c->cancelled())
    return done({nullptr, rpc_failure(request_cancelled, "request cancelled")});
  auto req = service_request(*c, "GET", "/v1/jobs/" + id, "wait=500ms");
  c->services.ask(
    service_id::jobs, std::move(req), [c, id, deadline, done](api_response r) {
      if (c->cancelled())
        return done(
          {nullptr, rpc_failure(request_cancelled, "request cancelled")});
      auto res = service_result(r);
      if (res.value("isError", false))
        return done({res});
      auto& rec = res["structuredContent"];
      auto status = rec.value("status", std::string());
      auto scanned = rec["progress"].value("rows_scanned", int64_t{0});
      c->progress(static_cast<double>(scanned), std::nullopt,
                  "job " + id + " " + status + ": " + std::to_string(scanned) +
                    " rows scanned");
      if (terminal(status) || std::chrono::steady_clock::now() >= deadline)
        return done({res});
      poll_job(c, id, deadline, done);
    });
}

} // namespace

void tool_submit_job(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto text =
    arg_string(args, "query", true, c->env.config.limits.max_sql_bytes);
  auto bind = arg_object(args, "bindVars", false);
  bool wait = arg_bool(args, "wait", false);
  auto wait_ms = arg_uint(args, "wait_ms", 60000, 0, 600000);
  json body = {{"query", text}, {"bindVars", bind}};
  auto req = service_request(*c, "POST", "/v1/jobs", {}, dump(body));
  c->services.ask(
    service_id::jobs, std::move(req), [c, done, wait, wait_ms](api_response r) {
      auto res = service_result(r);
      if (res.value("isError", false))
        return done({res});
      auto id = res["structuredContent"].value("job_id", "");
      if (c->call)
        c->sess->set_job(c->call, id);
      if (c->cancelled()) {
        // cancelled before the job existed: cancel it now
        auto del = service_request(*c, "DELETE", "/v1/jobs/" + id);
        c->services.ask(service_id::jobs, std::move(del), [](api_response) {});
        return done(
          {nullptr, rpc_failure(request_cancelled, "request cancelled")});
      }
      if (!wait)
        return done({res});
      poll_job(c, id,
               std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(wait_ms),
               done);
    });
}

void tool_job_status(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto id = arg_string(args, "job_id", true, 128);
  if (!valid_job_id(id))
    throw tool_error("invalid job id: " + id);
  auto wait = arg_uint(args, "wait_ms", 0, 0, 30000);
  auto req = service_request(*c, "GET", "/v1/jobs/" + id,
                             wait ? "wait=" + std::to_string(wait) + "ms" : "");
  c->services.ask(service_id::jobs, std::move(req),
                  [done](api_response r) { done({service_result(r)}); });
}

void tool_job_result(const context_ptr& c, const json& args, reply_fn done) {
  need_scope(*c, "jobs");
  auto id = arg_string(args, "job_id", true, 128);
  if (!valid_job_id(id))
    throw tool_error("invalid job id: " + id);
  std::string q;
  if (auto ps = arg_uint(args, "page_size", 0, 0, 1000000))
    q = "page_size=" + std::to_string(ps);
  auto tok = arg_string(args, "page_token", false, 128);
  if (!tok.empty()) {
    for (char ch : tok)
      if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
            (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
        throw tool_error("invalid page_token");
    q += (q.empty() ? "" : "&") + std::string("page_token=") + tok;
  }
  auto req = service_request(*c, "GET", "/v1/jobs/" + id + "/result", q);
  c->services.ask(service_id::jobs, std::move(req),
                  [done](api_response r) { done({service_result(r)}); });
}

} // namespace themis::mcp
