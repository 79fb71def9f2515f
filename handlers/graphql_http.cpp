#include "handlers/graphql_http.hpp"

#include <algorithm>
#include <cstdlib>

#include "handlers/graphql_ws.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using gql::outcome;
using gql::request_params;

constexpr const char* gql_response_type = "application/graphql-response+json";

enum class media { graphql_response, json, none };

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// The response media type the client accepts best (no Accept: JSON, the
/// draft's legacy rule; ranges */* and application/* get JSON too).
media negotiate(const api_request& req) {
  auto accept = req.header("Accept");
  if (!accept || trim(*accept).empty())
    return media::json;
  media best = media::none;
  double best_q = 0;
  size_t start = 0;
  auto text = lower(*accept);
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos)
      comma = text.size();
    auto item = text.substr(start, comma - start);
    start = comma + 1;
    auto semi = item.find(';');
    auto type = trim(item.substr(0, semi));
    double q = 1;
    if (semi != std::string::npos) {
      auto params = item.substr(semi);
      if (auto qp = params.find("q="); qp != std::string::npos)
        q = std::atof(params.c_str() + qp + 2);
    }
    media m = media::none;
    if (type == gql_response_type)
      m = media::graphql_response;
    else if (type == "application/json" || type == "application/*" ||
             type == "*/*")
      m = media::json;
    if (m != media::none && q > 0 &&
        (q > best_q || (q == best_q && m == media::graphql_response &&
                        best != media::graphql_response))) {
      best = m;
      best_q = q;
    }
  }
  return best;
}

/// The HTTP answer for an outcome: with application/graphql-response+json
/// a request error (no data) is 400; with application/json it is 200.
api_response answer(media m, const outcome& o) {
  int status = o.status;
  if (status == 200 && o.request_error && m == media::graphql_response)
    status = 400;
  auto r = json_response(status, o.text.empty() ? dump(o.body) : o.text);
  r.set_header("Content-Type",
               m == media::graphql_response
                 ? std::string(gql_response_type) + "; charset=utf-8"
                 : "application/json; charset=utf-8");
  if (!o.allow.empty())
    r.set_header("Allow", o.allow);
  return r;
}

/// Parameters of a GET: query, variables and extensions as JSON text.
std::string get_params(const api_request& req, request_params& p) {
  json j = json::object();
  if (auto q = query_param(req.query, "query"))
    j["query"] = *q;
  if (auto o = query_param(req.query, "operationName"))
    j["operationName"] = *o;
  for (auto name : {"variables", "extensions"})
    if (auto v = query_param(req.query, name)) {
      json parsed;
      if (parse_json_body(*v, parsed) || parsed.is_discarded())
        return std::string(name) + " is not valid JSON";
      j[name] = std::move(parsed);
    }
  return gql::read_params(j, p);
}

gql::run_ports ports_of(route_context& ctx) {
  return {&ctx.env, &ctx.writer, &ctx.work, &ctx.services};
}

/// Runs the requests of an array body one after the other.
void run_batch(route_context& ctx, media m, json items) {
  struct state {
    json items;
    json out = json::array();
    size_t next = 0;
    principal who;
    gql::run_ports ports;
    responder respond;
    media m;
  };
  auto st =
    std::make_shared<state>(state{std::move(items), json::array(), 0,
                                  ctx.req.who, ports_of(ctx), ctx.respond, m});
  auto step = std::make_shared<std::function<void()>>();
  *step = [st, step] {
    if (st->next == st->items.size()) {
      auto r = json_response(200, dump(st->out));
      r.set_header("Content-Type", "application/json; charset=utf-8");
      st->respond(std::move(r));
      *step = nullptr; // breaks the cycle
      return;
    }
    request_params p;
    auto bad = gql::read_params(st->items[st->next++], p);
    if (!bad.empty()) {
      st->out.push_back(gql::request_error(bad, "BAD_REQUEST"));
      return (*step)();
    }
    gql::run_operation(std::move(p), st->who, st->ports, {},
                       [st, step](outcome o) {
                         st->out.push_back(std::move(o.body));
                         (*step)();
                       });
  };
  (*step)();
}

} // namespace

void graphql_http(route_context& ctx) {
  auto& cfg = ctx.env.config.graphql;
  if (!cfg.enabled)
    return ctx.respond(error_response(404, "GraphQL is off (graphql.enabled)"));
  bool is_get = ctx.req.method == "GET" || ctx.req.method == "HEAD";
  if (is_get && ctx.req.header("Upgrade"))
    return graphql_ws_upgrade(ctx);
  auto m = negotiate(ctx.req);
  if (m == media::none) {
    auto r = error_response(406, std::string("Accept: ") + gql_response_type +
                                   " or application/json");
    return ctx.respond(std::move(r));
  }
  request_params p;
  std::string bad;
  if (is_get) {
    bad = get_params(ctx.req, p);
  } else {
    if (!has_content_type(ctx.req, "application/json") &&
        !has_content_type(ctx.req, gql_response_type))
      return ctx.respond(error_response(
        415, "POST /graphql needs Content-Type: application/json"));
    json body;
    if (auto too_deep = parse_json_body(ctx.req.body, body))
      return ctx.respond(std::move(*too_deep));
    if (body.is_discarded())
      return ctx.respond(answer(
        m, {gql::request_error("the body is not valid JSON", "BAD_REQUEST"),
            true, 400}));
    if (body.is_array()) {
      if (!cfg.batching)
        return ctx.respond(
          answer(m, {gql::request_error("batching (an array body) is off "
                                        "(graphql.batching)",
                                        "BAD_REQUEST"),
                     true, 400}));
      if (body.empty() || body.size() > cfg.max_batch)
        return ctx.respond(
          answer(m, {gql::request_error("a batch holds 1 to " +
                                          std::to_string(cfg.max_batch) +
                                          " operations (graphql.max_batch)",
                                        "BAD_REQUEST"),
                     true, 400}));
      return run_batch(ctx, m, std::move(body));
    }
    bad = gql::read_params(body, p);
  }
  if (!bad.empty())
    return ctx.respond(
      answer(m, {gql::request_error(bad, "BAD_REQUEST"), true, 400}));
  gql::run_operation(
    std::move(p), ctx.req.who, ports_of(ctx), {is_get, false, true},
    [respond = ctx.respond, m](outcome o) { respond(answer(m, o)); });
}

} // namespace themis
