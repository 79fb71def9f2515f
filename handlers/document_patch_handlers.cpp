/// Documents in batches and patches (issue 22, docs/rest-api.md):
/// batch get, PATCH with JSON Patch (RFC 6902) or JSON Merge Patch (RFC
/// 7396), and a batch of patches in one atomic write. A JSON Patch is
/// applied here, on the document as read, and written as a replace on
/// that revision (If-Match inside the writer): a document changed in
/// between fails the write instead of losing the other change.

#include <set>

#include <nlohmann/json.hpp>

#include "engine/json_patch.hpp"
#include "engine/names.hpp"
#include "handlers/breadth_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;

/// At most this many keys or patches in one batch request.
constexpr size_t max_batch = 1000;

/// ThemisDB's error body with the failing element's index (`at`).
api_response error_at(int status, const std::string& message, size_t at,
                      const char* what = "index") {
  return json_response(status, dump({{"error", true},
                                     {"message", message},
                                     {"status_code", status},
                                     {what, at}}));
}

/// The stored name of the {c} parameter, or a 400 sent and "".
std::string stored_param(route_context& ctx) {
  auto stored = stored_collection(ctx.req, ctx.params[0]);
  if (stored.empty())
    ctx.respond(
      error_response(400, "invalid collection name: " + ctx.params[0]));
  return stored;
}

/// A JSON body parsed under the depth limit, or a 400 sent and false.
bool parse_body(route_context& ctx, json& body, const char* expected) {
  if (auto bad = parse_json_body(ctx.req.body, body)) {
    ctx.respond(std::move(*bad));
    return false;
  }
  if (body.is_discarded()) {
    ctx.respond(error_response(400, std::string("expected ") + expected));
    return false;
  }
  return true;
}

/// Applies an RFC 6902 patch to the stored document `d`: the replace op
/// to write, or the refusal (`bad` set).
engine::write_op patched(const std::string& stored, const engine::document& d,
                         const json& patch, std::optional<api_response>& bad,
                         size_t item, bool in_batch) {
  engine::write_op op;
  auto doc = json::parse(d.json, nullptr, false);
  auto r = engine::apply_json_patch(doc, patch);
  if (!r.ok()) {
    auto status = engine::http_status_of(r.status);
    bad = in_batch
            ? error_at(status,
                       "item " + std::to_string(item) + ", " + r.message, item)
            : error_at(status, r.message, r.op_index, "operation");
    return op;
  }
  if (!doc.is_object()) {
    bad = error_at(422, "the patched document is not a JSON object", item);
    return op;
  }
  op.kind = op_kind::replace;
  op.collection = stored;
  op.key = d.key;
  op.if_match = d.rev;
  op.doc = dump(doc);
  return op;
}

} // namespace

void documents_batch_get(route_context& ctx) {
  auto stored = stored_param(ctx);
  if (stored.empty())
    return;
  json body;
  if (!parse_body(ctx, body, "{\"keys\": [...]}"))
    return;
  auto keys = body.is_object() ? body.find("keys") : body.end();
  if (!body.is_object() || keys == body.end() || !keys->is_array())
    return ctx.respond(
      error_response(400, "expected a JSON object with an array \"keys\""));
  if (keys->size() > max_batch)
    return ctx.respond(error_response(
      400, "at most " + std::to_string(max_batch) + " keys per request"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(
      error_response(404, "collection not found: " + ctx.params[0]));
  std::string docs = "[";
  json errors = json::array();
  for (size_t i = 0; i < keys->size(); ++i) {
    auto& k = (*keys)[i];
    if (i)
      docs += ',';
    if (!k.is_string() || !engine::valid_key(k.get_ref<const std::string&>())) {
      docs += "null";
      errors.push_back({{"index", i},
                        {"status_code", 400},
                        {"message", "invalid document key"}});
      continue;
    }
    auto d = ctx.env.reader.get(stored, k.get<std::string>());
    docs += d ? d->json : "null";
    if (!d)
      errors.push_back({{"index", i},
                        {"key", k},
                        {"status_code", 404},
                        {"message", "document not found"}});
  }
  ctx.respond(json_response(200, "{\"documents\":" + docs +
                                   "],\"errors\":" + dump(errors) + "}"));
}

void patch_document(route_context& ctx) {
  if (!has_content_type(ctx.req, "application/json-patch+json")) {
    auto ct = ctx.req.header("Content-Type");
    if (ct && !has_content_type(ctx.req, "application/json") &&
        !has_content_type(ctx.req, "application/merge-patch+json"))
      return ctx.respond(error_response(
        415, "PATCH takes application/merge-patch+json (RFC 7396) or "
             "application/json-patch+json (RFC 6902)"));
    return write_document(ctx); // the writer merges (op_kind::patch)
  }
  auto stored = stored_param(ctx);
  if (stored.empty())
    return;
  auto& key = ctx.params[1];
  if (!engine::valid_key(key))
    return ctx.respond(error_response(400, "invalid document key: " + key));
  json patch;
  if (!parse_body(ctx, patch, "a JSON Patch (an array of operations)"))
    return;
  auto d = ctx.env.reader.get(stored, key);
  if (!d)
    return ctx.respond(
      error_response(404, ctx.env.reader.collection_exists(stored)
                            ? "document not found: " + key
                            : "collection not found: " + ctx.params[0]));
  auto im = ctx.req.header("If-Match");
  if (im && *im != "*" && parse_etag(*im) != d->rev)
    return ctx.respond(
      error_response(412, "revision mismatch: current is " + d->rev));
  std::optional<api_response> bad;
  auto op = patched(stored, *d, patch, bad, 0, false);
  if (bad)
    return ctx.respond(std::move(*bad));
  // without If-Match the client did not ask for a revision: a document
  // changed since the read is a conflict of this request, not its 412
  bool asked = im != nullptr;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  ctx.writer.submit(
    std::move(b), [respond = ctx.respond, asked](engine::write_result res) {
      if (res.results.empty())
        return respond(unavailable_response(res));
      auto& r = res.results.front();
      auto status = http_status(r.status);
      if (status == 412 && !asked)
        return respond(error_response(
          409, "the document changed while the patch was applied; retry"));
      if (status >= 400)
        return respond(error_response(status, r.message));
      if (!res.committed)
        return respond(error_response(503, res.error));
      auto out = json_response(200, r.doc);
      out.set_header("ETag", make_etag(r.rev));
      respond(std::move(out));
    });
}

void documents_batch_patch(route_context& ctx) {
  auto stored = stored_param(ctx);
  if (stored.empty())
    return;
  json items;
  if (!parse_body(ctx, items, "an array of {\"_key\", \"patch\"}"))
    return;
  if (!items.is_array() || items.empty())
    return ctx.respond(error_response(
      400, "expected a non-empty array of {\"_key\", \"patch\"}"));
  if (items.size() > max_batch)
    return ctx.respond(error_response(
      400, "at most " + std::to_string(max_batch) + " patches per request"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(
      error_response(404, "collection not found: " + ctx.params[0]));
  engine::write_batch b;
  std::set<std::string> seen; // one patch per document and request
  for (size_t i = 0; i < items.size(); ++i) {
    auto& it = items[i];
    auto item = "item " + std::to_string(i);
    if (!it.is_object() || !it.contains("_key") || !it["_key"].is_string() ||
        !engine::valid_key(it["_key"].get<std::string>()))
      return ctx.respond(
        error_at(400, item + ": \"_key\" must be a valid document key", i));
    auto p = it.find("patch");
    if (p == it.end() || !p->is_structured())
      return ctx.respond(
        error_at(400,
                 item + ": \"patch\" must be an object (RFC 7396) or an "
                        "array (RFC 6902)",
                 i));
    std::string rev;
    if (auto r = it.find("_rev"); r != it.end()) {
      if (!r->is_string())
        return ctx.respond(
          error_at(400, item + ": \"_rev\" must be a string", i));
      rev = r->get<std::string>();
    }
    auto key = it["_key"].get<std::string>();
    if (!seen.insert(key).second)
      return ctx.respond(
        error_at(400, item + ": a second patch of document " + key, i));
    if (p->is_object()) { // merged by the writer, on the revision asked
      engine::write_op op;
      op.kind = op_kind::patch;
      op.collection = stored;
      op.key = key;
      op.if_match = rev;
      op.doc = dump(*p);
      b.ops.push_back(std::move(op));
      continue;
    }
    auto d = ctx.env.reader.get(stored, key);
    if (!d)
      return ctx.respond(
        error_at(404, item + ": document not found: " + key, i));
    if (!rev.empty() && rev != d->rev)
      return ctx.respond(
        error_at(412, item + ": revision mismatch: current is " + d->rev, i));
    std::optional<api_response> bad;
    auto op = patched(stored, *d, *p, bad, i, true);
    if (bad)
      return ctx.respond(std::move(*bad));
    b.ops.push_back(std::move(op));
  }
  b.atomic = true;
  ctx.writer.submit(std::move(b), [respond =
                                     ctx.respond](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    for (size_t i = 0; i < res.results.size(); ++i) {
      auto& r = res.results[i];
      auto status = http_status(r.status);
      if (status >= 400 && r.status != engine::op_status::not_executed)
        return respond(
          error_at(status, "item " + std::to_string(i) + ": " + r.message, i));
    }
    if (!res.committed)
      return respond(error_response(503, res.error));
    json docs = json::array();
    for (auto& r : res.results)
      docs.push_back({{"_key", r.key}, {"_rev", r.rev}});
    respond(json_response(200, dump({{"documents", docs}})));
  });
}

} // namespace themis
