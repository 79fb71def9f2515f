/// The MCP Streamable HTTP transport at /mcp (docs/mcp.md): Origin and
/// authentication checks, sessions (initialize creates one, DELETE ends
/// it), protocol-version headers, JSON-RPC validation, batches (2025-03-26
/// only), notifications (initialized, cancelled) and the answer as JSON or,
/// for a call that reports progress, as an SSE stream.

#include "engine/aql/executor.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_http.hpp"
#include "handlers/mcp_routes.hpp"

namespace themis {

namespace mcp {

namespace {

std::chrono::seconds idle_of(const route_context& ctx) {
  return std::chrono::seconds(ctx.env.config.mcp.session_idle_s);
}

context_ptr make_context(route_context& ctx, std::shared_ptr<session> s) {
  auto c = std::shared_ptr<call_context>(new call_context{
    ctx.env, ctx.req.who, api_request{}, ctx.streams.connection_writer(),
    ctx.streams.connection_work(), ctx.services, std::move(s), nullptr,
    [](json) {}, false, nullptr, nullptr, std::string(), -1});
  c->base.remote_addr = ctx.req.remote_addr;
  c->base.request_id = ctx.req.request_id;
  c->base.traceparent = ctx.req.traceparent;
  return c;
}

json response_of(const json& id, const outcome& o) {
  if (o.error)
    return rpc_error(id, o.error->code, o.error->what(), o.error->data);
  return rpc_result(id, o.result);
}

/// A notification (or a client's response, which we never asked for).
void notify_server(route_context& ctx, const std::shared_ptr<session>& s,
                   const rpc_message& m) {
  if (m.kind != rpc_kind::notification)
    return;
  if (m.method == "notifications/initialized") {
    s->set_initialized();
  } else if (m.method == "notifications/cancelled") {
    auto id = m.params.find("requestId");
    if (id == m.params.end() || !(id->is_string() || id->is_number_integer()))
      return;
    auto call = s->find_call(id->dump());
    if (!call)
      return; // finished already, or never ours: ignored, as the spec says
    call->cancelled.store(true);
    if (auto q = s->query_of(call))
      q->cancel.store(true);
    if (auto job = s->job_of(call); !job.empty()) {
      api_request del;
      del.method = "DELETE";
      del.path = "/v1/jobs/" + job;
      del.who = ctx.req.who;
      del.remote_addr = ctx.req.remote_addr;
      del.request_id = ctx.req.request_id;
      ctx.services.ask(service_id::jobs, std::move(del), [](api_response) {});
    }
  }
}

api_response json_answer(const json& j) {
  return json_response(200, dump(j));
}

void initialize(route_context& ctx, const rpc_message& m) {
  auto& cfg = ctx.env.config.mcp;
  auto v = m.params.find("protocolVersion");
  if (v == m.params.end() || !v->is_string())
    return ctx.respond(json_answer(rpc_error(
      m.id, invalid_params, "initialize needs a string protocolVersion")));
  auto version = negotiate_version(*v);
  auto s = session_store::instance().create(
    ctx.req.who, version, cfg.max_sessions, cfg.max_sessions_per_principal,
    std::chrono::seconds(cfg.session_idle_s));
  if (!s) {
    auto r = http_rpc_error(503, server_error,
                            "too many MCP sessions; end one (DELETE /mcp) or "
                            "retry later");
    r.set_header("Retry-After", "5");
    return ctx.respond(std::move(r));
  }
  std::string ver = ctx.env.metrics.version();
  json caps = {{"tools", {{"listChanged", true}}},
               {"resources", {{"subscribe", true}, {"listChanged", true}}},
               {"prompts", {{"listChanged", false}}},
               {"logging", json::object()},
               {"completions", json::object()}};
  json result = {
    {"protocolVersion", version},
    {"capabilities", caps},
    {"serverInfo",
     {{"name", "themisd"},
      {"title", "ThemisDB server"},
      {"version", ver.empty() ? std::string("0.1.0") : ver}}},
    {"instructions",
     "ThemisDB multi-model database. Collections hold JSON documents "
     "(themis://collections/{name}[/documents/{key}]). Use list_collections "
     "and describe_collection first, aql_query for reads, submit_job for "
     "long queries, recent_changes or resources/subscribe to follow "
     "writes."}};
  auto r = json_answer(rpc_result(m.id, std::move(result)));
  r.set_header("Mcp-Session-Id", s->id());
  ctx.respond(std::move(r));
}

/// The session the request names: null after answering 400 or 404.
std::shared_ptr<session> session_of(route_context& ctx) {
  auto sid = ctx.req.header("Mcp-Session-Id");
  if (!sid || sid->empty()) {
    ctx.respond(http_rpc_error(400, server_error,
                               "Bad Request: Mcp-Session-Id header is "
                               "required (send initialize first)"));
    return nullptr;
  }
  auto s = session_store::instance().find(*sid, ctx.req.who, idle_of(ctx));
  if (!s)
    ctx.respond(http_rpc_error(404, session_not_found, "Session not found"));
  return s;
}

bool wants_stream(const route_context& ctx, const rpc_message& m) {
  if (m.method != "tools/call" ||
      !accepts(ctx.req.header("Accept"), "text/event-stream"))
    return false;
  auto meta = m.params.find("_meta");
  return meta != m.params.end() && meta->is_object() &&
         meta->contains("progressToken");
}

/// Fills the context for request `m` (progress token, call handle).
void prepare(const context_ptr& c, const rpc_message& m) {
  c->id_text = m.id.dump();
  if (auto meta = m.params.find("_meta");
      meta != m.params.end() && meta->is_object())
    if (auto t = meta->find("progressToken");
        t != meta->end() && (t->is_string() || t->is_number_integer()))
      c->progress_token = *t;
  if (m.method == "tools/call")
    c->call = c->sess->begin_call(c->id_text);
}

void finish_call(const context_ptr& c) {
  if (c->call && c->sess->find_call(c->id_text) == c->call)
    c->sess->end_call(c->id_text);
}

void post_batch(route_context& ctx, const json& body) {
  auto& cfg = ctx.env.config.mcp;
  if (body.empty())
    return ctx.respond(
      http_rpc_error(400, invalid_request, "Invalid Request: empty batch"));
  if (body.size() > cfg.max_batch)
    return ctx.respond(
      http_rpc_error(400, invalid_request,
                     "Invalid Request: a batch holds at most " +
                       std::to_string(cfg.max_batch) + " messages"));
  for (auto& e : body)
    if (e.is_object() && e.value("method", json()) == "initialize")
      return ctx.respond(http_rpc_error(
        400, invalid_request,
        "Invalid Request: initialize must not be part of a batch"));
  auto s = session_of(ctx);
  if (!s)
    return;
  if (!batches_allowed(s->version()))
    return ctx.respond(http_rpc_error(
      400, invalid_request,
      "Invalid Request: JSON-RPC batches are not part of protocol version " +
        s->version()));
  auto out = std::make_shared<json>(json::array());
  std::vector<rpc_message> requests;
  for (auto& e : body) {
    auto m = classify(e);
    if (m.kind == rpc_kind::invalid)
      out->push_back(
        rpc_error(nullptr, invalid_request, "Invalid Request: " + m.error));
    else if (m.kind == rpc_kind::request)
      requests.push_back(std::move(m));
    else
      notify_server(ctx, s, m);
  }
  if (requests.empty() && out->empty()) {
    api_response r;
    r.status = 202;
    return ctx.respond(std::move(r));
  }
  auto pending = std::make_shared<size_t>(requests.size() + 1);
  auto respond = ctx.respond;
  auto settle = [pending, out, respond] {
    if (--*pending == 0)
      respond(json_answer(*out));
  };
  for (auto& m : requests) {
    auto c = make_context(ctx, s);
    prepare(c, m);
    dispatch(c, m, [c, id = m.id, out, settle](outcome o) {
      finish_call(c);
      out->push_back(response_of(id, o));
      settle();
    });
  }
  settle();
}

void post(route_context& ctx) {
  auto& req = ctx.req;
  auto accept = req.header("Accept");
  if (!accepts(accept, "application/json") &&
      !accepts(accept, "text/event-stream"))
    return ctx.respond(http_rpc_error(
      406, server_error,
      "Not Acceptable: accept application/json and text/event-stream"));
  if (!has_content_type(req, "application/json"))
    return ctx.respond(http_rpc_error(
      415, server_error, "Unsupported Media Type: send application/json"));
  if (auto pv = req.header("MCP-Protocol-Version");
      pv && !supported_version(*pv))
    return ctx.respond(http_rpc_error(
      400, server_error,
      "Bad Request: unsupported MCP-Protocol-Version " + pv->substr(0, 64)));
  json body;
  if (auto bad = parse_json_body(req.body, body))
    return ctx.respond(
      http_rpc_error(400, parse_error, "Parse error: nested too deeply"));
  if (body.is_discarded())
    return ctx.respond(
      http_rpc_error(400, parse_error, "Parse error: invalid JSON"));
  if (body.is_array())
    return post_batch(ctx, body);
  auto m = classify(body);
  if (m.kind == rpc_kind::invalid)
    return ctx.respond(json_response(
      400, dump(rpc_error(m.id.is_null() ? json() : m.id, invalid_request,
                          "Invalid Request: " + m.error))));
  if (m.kind == rpc_kind::request && m.method == "initialize")
    return initialize(ctx, m);
  auto s = session_of(ctx);
  if (!s)
    return;
  if (m.kind != rpc_kind::request) {
    notify_server(ctx, s, m);
    api_response r;
    r.status = 202;
    return ctx.respond(std::move(r));
  }
  auto c = make_context(ctx, s);
  prepare(c, m);
  if (wants_stream(ctx, m))
    return start_call_stream(ctx, c, std::move(m));
  dispatch(c, m, [c, id = m.id, respond = ctx.respond](outcome o) {
    finish_call(c);
    respond(json_answer(response_of(id, o)));
  });
}

void del(route_context& ctx) {
  auto sid = ctx.req.header("Mcp-Session-Id");
  if (!sid || sid->empty())
    return ctx.respond(http_rpc_error(
      400, server_error, "Bad Request: Mcp-Session-Id header is required"));
  if (!session_store::instance().remove(*sid, ctx.req.who))
    return ctx.respond(
      http_rpc_error(404, session_not_found, "Session not found"));
  api_response r;
  r.status = 200;
  ctx.respond(std::move(r));
}

} // namespace

} // namespace mcp

void mcp_endpoint(route_context& ctx) {
  using namespace mcp;
  auto& cfg = ctx.env.config.mcp;
  auto& req = ctx.req;
  if (!cfg.enabled)
    return ctx.respond(
      error_response(404, "no route for " + req.method + " " + req.path));
  // DNS rebinding: a browser page of another origin must not reach a
  // server on localhost through its user's network position
  if (!origin_allowed(req.header("Origin"), cfg.allowed_origins,
                      cfg.allow_localhost_origins))
    return ctx.respond(
      http_rpc_error(403, server_error, "Forbidden: Origin not allowed"));
  if (!req.who.authenticated())
    return ctx.respond(unauthorized(ctx));
  if (req.method == "POST")
    return post(ctx);
  if (req.method == "DELETE")
    return del(ctx);
  if (req.method == "GET") {
    if (!accepts(req.header("Accept"), "text/event-stream"))
      return ctx.respond(http_rpc_error(
        406, server_error, "Not Acceptable: accept text/event-stream"));
    auto s = session_of(ctx);
    if (!s)
      return;
    return start_get_stream(ctx, s);
  }
  auto r = http_rpc_error(405, server_error, "Method not allowed");
  r.set_header("Allow", "GET, POST, DELETE");
  ctx.respond(std::move(r));
}

} // namespace themis
