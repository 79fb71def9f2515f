/// ThemisDB's entity paths, in its shapes: /entities/{table:pk} (GET, PUT,
/// DELETE), POST /entities (key in the body), POST /entities/batch, and
/// the Go SDK's /api/{model}/{collection}/{id}. Each honours
/// X-Transaction-Id: the write is staged in the caller's transaction and
/// its reads see what the transaction staged.

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "engine/reader_pool.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/themisdb_compat.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::op_status;
using engine::write_batch;
using engine::write_op;
using engine::write_result;

const char* bad_key_message = "Key must be in format 'table:pk'";

/// The document text of a `blob`: a string (what ThemisDB's SDKs send;
/// a JSON object, or any other text kept verbatim) or, leniently, the
/// object itself.
std::optional<std::string> blob_of(const json& body, std::string& error,
                                   size_t& blob_size) {
  if (!body.is_object() || !body.contains("blob")) {
    error = "Missing 'blob' field";
    return std::nullopt;
  }
  auto& blob = body["blob"];
  if (blob.is_object()) {
    auto text = dump(blob);
    blob_size = text.size();
    return text;
  }
  if (!blob.is_string()) {
    error = "'blob' must be a string";
    return std::nullopt;
  }
  auto& text = blob.get_ref<const std::string&>();
  blob_size = text.size();
  // any text, as in ThemisDB: a non-object is kept verbatim in `_blob`
  auto doc = document_of_blob(text);
  if (!doc)
    error = engine::json_too_deep_message();
  return doc;
}

/// ?write_concern=: every write is committed (and fsynced as the engine is
/// configured) before the answer, whatever concern is asked; a malformed
/// value is still an error.
bool valid_write_concern(const api_request& req) {
  auto wc = query_param(req.query, "write_concern");
  if (!wc)
    return true;
  if (wc->empty() || wc->size() > 32)
    return false;
  for (char c : *wc)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return false;
  return true;
}

/// Stages one op in `tx` and answers through `ok` (or the op's error).
void stage_single(
  route_context& ctx, http_tx& tx, write_op op,
  const std::function<api_response(const engine::op_result&)>& ok) {
  write_batch b;
  b.ops.push_back(std::move(op));
  auto res = tx.stage(b, reader_of(ctx), ctx.env.transactions->limits());
  auto& r = res.results.front();
  auto status = http_status(r.status);
  if (status >= 400)
    return ctx.respond(error_response(status, r.message));
  ctx.respond(ok(r));
}

/// PUT /entities/{key} and POST /entities share this: `path_key` is empty
/// for POST.
void put_entity(route_context& ctx, const std::string& path_key) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "body must be a JSON object"));
  // ThemisDB: a key in the body wins over the path's
  std::string id = path_key;
  if (auto k = body.find("key"); k != body.end()) {
    if (!k->is_string())
      return ctx.respond(error_response(400, "'key' must be a string"));
    id = k->get<std::string>();
  }
  if (id.empty())
    return ctx.respond(error_response(400, "Missing entity key"));
  std::string err;
  size_t blob_size = 0;
  auto doc = blob_of(body, err, blob_size);
  if (!doc)
    return ctx.respond(error_response(400, err));
  write_op op;
  if (!parse_entity_key(ctx.req, id, op.collection, op.key))
    return ctx.respond(error_response(400, bad_key_message));
  if (!valid_write_concern(ctx.req))
    return ctx.respond(error_response(
      400, "write_concern must be 1-32 characters of [A-Za-z0-9_-]"));
  op.kind = op_kind::put;
  op.create_collection = true;
  op.doc = std::move(*doc);
  if (auto im = ctx.req.header("If-Match"); im && *im != "*")
    op.if_match = parse_etag(*im);
  bool refused = false;
  auto tx = request_tx(ctx, refused);
  if (refused)
    return;
  if (tx)
    return stage_single(ctx, *tx, std::move(op), [&](const auto&) {
      return json_response(201, dump({{"success", true},
                                      {"key", id},
                                      {"blob_size", blob_size},
                                      {"transaction_id", tx->id()}}));
    });
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [id, blob_size](const engine::op_result& r, int) {
                  auto out = json_response(201, dump({{"success", true},
                                                      {"key", id},
                                                      {"blob_size", blob_size},
                                                      {"_rev", r.rev}}));
                  out.set_header("ETag", make_etag(r.rev));
                  return out;
                });
}

/// DELETE: a missing key answers 200 as in ThemisDB (`deleted` says
/// whether there was one), or 404 where `missing_404` (the Go SDK's path).
void delete_entity(route_context& ctx, const std::string& id,
                   const std::string& collection, const std::string& pk,
                   bool missing_404) {
  write_op op;
  op.kind = op_kind::remove;
  op.collection = collection;
  op.key = pk;
  if (auto im = ctx.req.header("If-Match"); im && *im != "*")
    op.if_match = parse_etag(*im);
  auto answer = [id, missing_404](bool deleted) {
    if (!deleted && missing_404)
      return error_response(404, "Entity not found: " + id);
    return json_response(
      200, dump({{"success", true}, {"key", id}, {"deleted", deleted}}));
  };
  bool refused = false;
  auto tx = request_tx(ctx, refused);
  if (refused)
    return;
  if (tx) {
    if (!tx->read(collection, pk, reader_of(ctx)))
      return ctx.respond(answer(false));
    return stage_single(ctx, *tx, std::move(op),
                        [&](const auto&) { return answer(true); });
  }
  write_batch b;
  b.ops.push_back(std::move(op));
  ctx.writer.submit(std::move(b),
                    [respond = ctx.respond, answer](write_result res) {
                      if (res.results.empty())
                        return respond(unavailable_response(res));
                      auto& r = res.results.front();
                      if (r.status == op_status::not_found ||
                          r.status == op_status::collection_not_found)
                        return respond(answer(false));
                      auto status = http_status(r.status);
                      if (status >= 400)
                        return respond(error_response(status, r.message));
                      if (!res.committed)
                        return respond(error_response(503, res.error));
                      respond(answer(true));
                    });
}

/// The entity as the caller's transaction (if any) sees it.
std::optional<std::string> read_entity(route_context& ctx,
                                       const std::string& collection,
                                       const std::string& pk, bool& refused,
                                       std::string& rev) {
  auto tx = request_tx(ctx, refused);
  if (refused)
    return std::nullopt;
  if (tx)
    return tx->read(collection, pk, reader_of(ctx));
  auto doc = ctx.env.reader.get(collection, pk);
  if (!doc)
    return std::nullopt;
  rev = doc->rev;
  return doc->json;
}

} // namespace

void get_entity(route_context& ctx) {
  auto& id = ctx.params[0];
  std::string collection, pk, rev;
  if (!parse_entity_key(ctx.req, id, collection, pk))
    return ctx.respond(error_response(400, bad_key_message));
  bool refused = false;
  auto doc = read_entity(ctx, collection, pk, refused, rev);
  if (refused)
    return;
  if (!doc)
    return ctx.respond(error_response(404, "Entity not found: " + id));
  auto user = user_document(*doc);
  api_response r;
  if (truthy_param(ctx.req, "decrypt")) {
    json entity;
    engine::parse_untrusted_json(user, entity);
    if (entity.is_discarded())
      entity = user; // a blob that is not JSON
    r = json_response(
      200, dump({{"key", id}, {"decrypted", true}, {"entity", entity}}));
  } else {
    r = json_response(200, dump({{"key", id}, {"blob", user}}));
  }
  if (!rev.empty())
    r.set_header("ETag", make_etag(rev));
  ctx.respond(std::move(r));
}

void write_entity(route_context& ctx) {
  auto& id = ctx.params[0];
  if (ctx.req.method != "DELETE")
    return put_entity(ctx, id);
  std::string collection, pk;
  if (!parse_entity_key(ctx.req, id, collection, pk))
    return ctx.respond(error_response(400, bad_key_message));
  delete_entity(ctx, id, collection, pk, false);
}

void post_entity(route_context& ctx) {
  put_entity(ctx, {});
}

/// /api/{model}/{collection}/{id} (ThemisDB's Go SDK): the raw document
/// as body and answer, table "{model}.default.{collection}" — the entity
/// the Python and JavaScript SDKs address as
/// "{model}.default.{collection}:{id}" with their default namespace.
void sdk_document(route_context& ctx) {
  auto table = ctx.params[0] + ".default." + ctx.params[1];
  auto id = table + ":" + ctx.params[2];
  std::string collection, pk, rev;
  if (!parse_entity_key(ctx.req, id, collection, pk))
    return ctx.respond(error_response(
      400, "model, collection and id must be valid names: " + id));
  if (ctx.req.method == "DELETE")
    return delete_entity(ctx, id, collection, pk, true);
  if (ctx.req.method == "GET" || ctx.req.method == "HEAD") {
    bool refused = false;
    auto doc = read_entity(ctx, collection, pk, refused, rev);
    if (refused)
      return;
    if (!doc)
      return ctx.respond(error_response(404, "Entity not found: " + id));
    auto r = json_response(200, user_document(*doc));
    if (!rev.empty())
      r.set_header("ETag", make_etag(rev));
    return ctx.respond(std::move(r));
  }
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded())
    return ctx.respond(error_response(400, "the body must be JSON"));
  // the Go SDK sends the document itself (any JSON): wrap it as a blob
  json wrapped = {{"key", id}, {"blob", dump(body)}};
  api_request inner_req = ctx.req;
  inner_req.body = dump(wrapped);
  route_context inner{ctx.env,    inner_req,    {},
                      ctx.writer, ctx.notifier, ctx.streams,
                      ctx.work,   ctx.services, ctx.respond};
  put_entity(inner, {});
}

} // namespace themis
