/// REST handlers for collections and documents (/v1/collections/...).

#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/edge_validation.hpp"
#include "engine/names.hpp"
#include "handlers/http_conditional.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::write_batch;
using engine::write_op;
using engine::write_result;

/// A single document write answers the stored document (or key/rev on
/// delete) with its ETag, and Location when it created one.
void submit_one(route_context& ctx, write_op op, std::string location) {
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [location](const engine::op_result& r, int status) {
                  auto out =
                    r.doc.empty()
                      ? json_response(status,
                                      dump({{"_key", r.key}, {"_rev", r.rev}}))
                      : json_response(status, r.doc);
                  if (!r.rev.empty())
                    out.set_header("ETag", make_etag(r.rev));
                  if (status == 201)
                    out.set_header("Location", location + r.key);
                  return out;
                });
}

/// Maps the collection path parameter into the principal's namespace; a
/// 400 and false if it is not a valid name.
bool map_collection_param(route_context& ctx, std::string& stored) {
  stored = stored_collection(ctx.req, ctx.params[0]);
  if (!stored.empty())
    return true;
  ctx.respond(error_response(400, "invalid collection name: " + ctx.params[0]));
  return false;
}

} // namespace

void list_collections(route_context& ctx) {
  json arr = json::array();
  for (auto& c : ctx.env.reader.collections())
    if (auto name = shown_collection(ctx.req, c.name); !name.empty())
      arr.push_back({{"name", name}, {"count", c.count}, {"type", c.type}});
  ctx.respond(json_response(200, dump({{"collections", arr}})));
}

void create_collection(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object() || !body.contains("name") ||
      !body["name"].is_string())
    return ctx.respond(
      error_response(400, "expected a JSON object with a string \"name\""));
  write_op op;
  op.kind = op_kind::create_collection;
  // "document" (default) or "edge"; ArangoDB's numbers 2 and 3 too
  auto type = engine::collection_type::document;
  if (auto t = body.find("type"); t != body.end() &&
                                  !engine::parse_collection_type(*t, type))
    return ctx.respond(error_response(
      400, "\"type\" must be \"document\" or \"edge\" (or 2 or 3)"));
  op.edge = type == engine::collection_type::edge;
  auto name = body["name"].get<std::string>();
  op.collection = stored_collection(ctx.req, name);
  if (op.collection.empty())
    return ctx.respond(error_response(400, "invalid collection name: " + name));
  auto audited =
    audit_on_success(ctx, "collection.create", "collection " + name);
  submit_single(
    ctx.writer, std::move(op), ctx.respond,
    [name, audited, type](const engine::op_result&, int) {
      audited();
      auto out = json_response(
        201, dump({{"name", name},
                   {"count", 0},
                   {"type", engine::to_string(type)}}));
      out.set_header("Location", "/v1/collections/" + name);
      return out;
    });
}

void get_collection(route_context& ctx) {
  auto& name = ctx.params[0];
  std::string stored;
  if (!map_collection_param(ctx, stored))
    return;
  for (auto& c : ctx.env.reader.collections())
    if (c.name == stored)
      return ctx.respond(
        json_response(200, dump({{"name", name},
                                 {"count", c.count},
                                 {"type", c.type}})));
  ctx.respond(error_response(404, "collection not found: " + name));
}

void drop_collection(route_context& ctx) {
  write_op op;
  op.kind = op_kind::drop_collection;
  if (!map_collection_param(ctx, op.collection))
    return;
  auto audited =
    audit_on_success(ctx, "collection.drop", "collection " + ctx.params[0]);
  submit_single(
    ctx.writer, std::move(op), ctx.respond,
    [name = ctx.params[0], audited](const engine::op_result&, int) {
      audited();
      return json_response(200, dump({{"name", name}, {"dropped", true}}));
    });
}

void list_documents(route_context& ctx) {
  auto& name = ctx.params[0];
  std::string stored;
  if (!map_collection_param(ctx, stored))
    return;
  size_t limit = 100;
  if (auto l = query_param(ctx.req.query, "limit")) {
    uint64_t v = 0;
    if (!parse_uint(*l, v) || v == 0 || v > 1000)
      return ctx.respond(
        error_response(400, "limit must be an integer in [1, 1000]"));
    limit = v;
  }
  auto after = query_param(ctx.req.query, "after").value_or("");
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(error_response(404, "collection not found: " + name));
  auto docs = ctx.env.reader.list(stored, after, limit);
  std::string body = "{\"documents\":[";
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i)
      body.push_back(',');
    body += docs[i].json;
  }
  body += "],\"next_after\":";
  body += docs.size() == limit ? dump(docs.back().key) : "null";
  body += "}";
  ctx.respond(json_response(200, std::move(body)));
}

void insert_document(route_context& ctx) {
  write_op op;
  if (!map_collection_param(ctx, op.collection))
    return;
  op.kind = op_kind::insert;
  op.doc = ctx.req.body;
  submit_one(ctx, std::move(op),
             "/v1/collections/" + ctx.params[0] + "/documents/");
}

void get_document(route_context& ctx) {
  auto& name = ctx.params[0];
  auto& key = ctx.params[1];
  std::string stored;
  if (!map_collection_param(ctx, stored))
    return;
  auto doc = ctx.env.reader.get(stored, key);
  if (!doc) {
    if (!ctx.env.reader.collection_exists(stored))
      return ctx.respond(error_response(404, "collection not found: " + name));
    return ctx.respond(error_response(404, "document not found: " + key));
  }
  auto etag = make_etag(doc->rev);
  if (auto inm = ctx.req.header("If-None-Match");
      inm && if_none_match_matches(*inm, etag)) { // a list, weak (RFC 9110)
    api_response r;
    r.status = 304;
    r.set_header("ETag", etag);
    return ctx.respond(std::move(r));
  }
  auto r = json_response(200, std::move(doc->json));
  r.set_header("ETag", etag);
  ctx.respond(std::move(r));
}

void write_document(route_context& ctx) {
  write_op op;
  op.key = ctx.params[1];
  auto& m = ctx.req.method;
  op.kind = m == "PUT"     ? op_kind::put
            : m == "PATCH" ? op_kind::patch
                           : op_kind::remove;
  if (!map_collection_param(ctx, op.collection))
    return;
  if (!engine::valid_key(op.key))
    return ctx.respond(error_response(400, "invalid document key: " + op.key));
  if (auto im = ctx.req.header("If-Match")) {
    if (*im == "*") {
      if (op.kind == op_kind::put)
        op.kind = op_kind::replace; // must exist
    } else {
      op.if_match = parse_etag(*im);
    }
  }
  if (op.kind != op_kind::remove)
    op.doc = ctx.req.body;
  submit_one(ctx, std::move(op),
             "/v1/collections/" + ctx.params[0] + "/documents/");
}

} // namespace themis
