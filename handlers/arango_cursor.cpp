/// ArangoDB's /_api/cursor over themisd's own cursor API (/v1/query,
/// handlers/query_handlers.cpp): the same parse, run, limits and
/// cursor_store (unguessable ids, owned by the principal, idle TTL); only
/// the request and answer shapes differ.

#include <string>
#include <string_view>

#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// ArangoDB's `extra.stats` from themisd's.
json arango_stats(const json& extra) {
  json st =
    extra.is_object() ? extra.value("stats", json::object()) : json::object();
  return {{"writesExecuted", st.value("writesExecuted", 0)},
          {"writesIgnored", 0},
          {"scannedFull", st.value("rowsScanned", 0)},
          {"scannedIndex", 0},
          {"filtered", 0},
          {"httpRequests", 0},
          {"executionTime", st.value("executionTime", 0.0)},
          {"peakMemoryUsage", 0}};
}

/// One batch in ArangoDB's shape: result, hasMore, id (while more), count
/// (when asked for), cached, extra (first batch). The rows are spliced
/// through as text, never parsed again: /v1/query's answer is
/// `{"result":[rows],"hasMore":…}`, and the last `,"hasMore":` in it is
/// the one after the rows (a row's own keys come before it).
api_response batch_answer(const api_response& r, int status, bool with_count,
                          bool with_extra) {
  static constexpr std::string_view head = "{\"result\":";
  auto at = r.body.rfind(",\"hasMore\":");
  if (r.body.rfind(head, 0) != 0 || at == std::string::npos)
    return arango_error(500, arango_errnum::internal, "bad cursor answer");
  auto in = json::parse("{" + r.body.substr(at + 1), nullptr, false);
  if (!in.is_object())
    return arango_error(500, arango_errnum::internal, "bad cursor answer");
  json out = {{"hasMore", in.value("hasMore", false)}, {"cached", false}};
  if (auto id = in.find("id"); id != in.end())
    out["id"] = *id;
  if (with_count && in.contains("count"))
    out["count"] = in["count"];
  if (with_extra)
    out["extra"] = {{"stats", arango_stats(in.value("extra", json()))},
                    {"warnings", json::array()}};
  out["error"] = false;
  out["code"] = status;
  auto rest = dump(out);
  std::string body;
  body.reserve(at + rest.size());
  body.append(r.body, 0, at);
  body += ',';
  body.append(rest, 1);
  return json_response(status, std::move(body));
}

void cursor_create(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(arango_error(400, arango_errnum::corrupted_json,
                                    "expecting a JSON object as body"));
  auto q = body.find("query");
  if (q == body.end() || !q->is_string() || q->get<std::string>().empty())
    return ctx.respond(
      arango_error(400, arango_errnum::query_empty, "query is empty"));
  json inner = {{"query", *q}};
  if (auto b = body.find("bindVars"); b != body.end() && !b->is_null()) {
    if (!b->is_object())
      return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                      "bindVars must be an object"));
    inner["bindVars"] = *b;
  }
  if (auto b = body.find("batchSize"); b != body.end() && !b->is_null())
    inner["batchSize"] = *b; // themisd checks it against query.max_batch_size
  bool with_count = false;
  if (auto c = body.find("count"); c != body.end() && !c->is_null()) {
    if (!c->is_boolean())
      return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                      "count must be a boolean"));
    with_count = c->get<bool>();
  }
  // ttl, cache, memoryLimit and options (fullCount, stream, …) are
  // accepted: cursors live for the server's cursor TTL, results are never
  // cached, and a query is bounded by query.max_rows and query.timeout_ms
  arango_forward(ctx, query_cursor_create, dump(inner), {},
                 [with_count](api_response r) {
                   return batch_answer(r, 201, with_count, true);
                 });
}

void cursor_next(route_context& ctx) {
  arango_forward(
    ctx, query_cursor_next, {}, {ctx.params.at(0)},
    [](api_response r) { return batch_answer(r, 200, true, false); });
}

void cursor_delete(route_context& ctx) {
  auto id = ctx.params.at(0);
  arango_forward(ctx, query_cursor_delete, {}, {id}, [id](api_response) {
    return arango_ok(202, {{"id", id}});
  });
}

} // namespace

void arango_cursor_create(route_context& ctx) {
  arango_enter(ctx, cursor_create);
}

void arango_cursor_next(route_context& ctx) {
  arango_enter(ctx, cursor_next);
}

void arango_cursor_delete(route_context& ctx) {
  arango_enter(ctx, cursor_delete);
}

} // namespace themis
