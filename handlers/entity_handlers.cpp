/// ThemisDB-compatible handlers: /entities/{table:pk}, /entities/batch and
/// the NDJSON bulk endpoint /v2/documents.

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::op_status;
using engine::write_batch;
using engine::write_op;
using engine::write_result;

constexpr size_t max_batch_ops = 10000;

/// Splits "table:pk" (at the first ':'); false if either part is invalid.
/// `table` is the engine's name in the principal's tenant namespace.
bool split_entity_key(const api_request& req, const std::string& id,
                      std::string& table, std::string& key) {
  auto colon = id.find(':');
  if (colon == std::string::npos)
    return false;
  table = stored_collection(req, id.substr(0, colon));
  key = id.substr(colon + 1);
  return !table.empty() && engine::valid_key(key);
}

/// The entity's document from `{"blob":"<json text>"}` (a string holding a
/// JSON object) or, leniently, `{"blob":{…}}`.
std::optional<std::string> blob_of(const json& body, std::string& error) {
  if (!body.is_object() || !body.contains("blob")) {
    error = "expected {\"blob\": \"<json object as string>\"}";
    return std::nullopt;
  }
  auto& blob = body["blob"];
  if (blob.is_object())
    return dump(blob);
  if (!blob.is_string()) {
    error = "blob must be a string holding a JSON object";
    return std::nullopt;
  }
  auto inner = json::parse(blob.get<std::string>(), nullptr, false);
  if (inner.is_discarded() || !inner.is_object()) {
    error = "blob must hold a JSON object";
    return std::nullopt;
  }
  return blob.get<std::string>();
}

} // namespace

void get_entity(route_context& ctx) {
  std::string table, key;
  if (!split_entity_key(ctx.req, ctx.params[0], table, key))
    return ctx.respond(
      error_response(400, "entity key must be table:pk, got " + ctx.params[0]));
  auto doc = ctx.env.reader.get(table, key);
  if (!doc)
    return ctx.respond(
      error_response(404, "entity not found: " + ctx.params[0]));
  auto r =
    json_response(200, dump({{"key", ctx.params[0]}, {"blob", doc->json}}));
  r.set_header("ETag", make_etag(doc->rev));
  ctx.respond(std::move(r));
}

void write_entity(route_context& ctx) {
  write_op op;
  if (!split_entity_key(ctx.req, ctx.params[0], op.collection, op.key))
    return ctx.respond(
      error_response(400, "entity key must be table:pk, got " + ctx.params[0]));
  op.create_collection = true;
  if (ctx.req.method == "DELETE") {
    op.kind = op_kind::remove;
  } else {
    op.kind = op_kind::put;
    json body;
    if (auto bad = parse_json_body(ctx.req.body, body))
      return ctx.respond(std::move(*bad));
    std::string err;
    auto blob = body.is_discarded() ? std::nullopt : blob_of(body, err);
    if (!blob)
      return ctx.respond(
        error_response(400, err.empty() ? "body is not valid JSON" : err));
    op.doc = std::move(*blob);
  }
  if (auto im = ctx.req.header("If-Match"); im && *im != "*")
    op.if_match = parse_etag(*im);
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [id = ctx.params[0]](const engine::op_result& r, int status) {
                  auto out = json_response(
                    status,
                    dump({{"success", true}, {"key", id}, {"_rev", r.rev}}));
                  out.set_header("ETag", make_etag(r.rev));
                  return out;
                });
}

void entity_batch(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object() ||
      !body.contains("operations") || !body["operations"].is_array())
    return ctx.respond(error_response(
      400, "expected {\"operations\": [{\"op\", \"key\", \"blob\"}…]}"));
  auto& ops = body["operations"];
  if (ops.size() > max_batch_ops)
    return ctx.respond(error_response(
      413, "batch has " + std::to_string(ops.size()) +
             " operations; the limit is " + std::to_string(max_batch_ops)));
  write_batch b;
  b.atomic = true;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto& o = ops[i];
    auto bad = [&](const std::string& why) {
      ctx.respond(
        error_response(400, "operation " + std::to_string(i) + ": " + why));
    };
    if (!o.is_object() || !o.contains("key") || !o["key"].is_string())
      return bad("needs a string \"key\" (table:pk)");
    auto kind = o.value("op", std::string("put"));
    write_op op;
    op.create_collection = true;
    if (!split_entity_key(ctx.req, o["key"].get<std::string>(), op.collection,
                          op.key))
      return bad("key must be table:pk");
    if (kind == "put") {
      op.kind = op_kind::put;
      std::string err;
      auto blob = blob_of(o, err);
      if (!blob)
        return bad(err);
      op.doc = std::move(*blob);
    } else if (kind == "delete") {
      op.kind = op_kind::remove;
    } else {
      return bad("op must be put or delete");
    }
    b.ops.push_back(std::move(op));
  }
  auto n = b.ops.size();
  ctx.writer.submit(std::move(b), [respond = ctx.respond, n](write_result res) {
    if (res.overloaded)
      return respond(unavailable_response(res));
    if (!res.committed) {
      int status = 503;
      for (auto& r : res.results)
        if (r.status != op_status::not_executed)
          status = http_status(r.status);
      return respond(error_response(status, "batch rolled back: " + res.error));
    }
    json revs = json::array();
    for (auto& r : res.results)
      revs.push_back(r.rev);
    respond(json_response(
      200, dump({{"success", true}, {"count", n}, {"revisions", revs}})));
  });
}

void ndjson_bulk(route_context& ctx) {
  if (!has_content_type(ctx.req, "application/x-ndjson"))
    return ctx.respond(
      error_response(415, "Content-Type must be application/x-ndjson"));
  auto coll = query_param(ctx.req.query, "collection");
  write_batch b;
  b.atomic = false; // each line stands alone; errors are reported per line
  struct line_error {
    size_t line;
    std::string message;
  };
  std::vector<size_t> op_lines;
  std::vector<line_error> errors;
  std::string_view rest = ctx.req.body;
  size_t line_no = 0;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos)
      continue;
    json doc;
    if (parse_json_body(line, doc)) {
      errors.push_back({line_no, engine::json_too_deep_message()});
      continue;
    }
    if (doc.is_discarded() || !doc.is_object()) {
      errors.push_back({line_no, "line is not a JSON object"});
      continue;
    }
    write_op op;
    op.create_collection = true;
    if (doc.contains("_collection") && doc["_collection"].is_string()) {
      op.collection =
        stored_collection(ctx.req, doc["_collection"].get<std::string>());
      doc.erase("_collection");
    } else if (coll) {
      op.collection = stored_collection(ctx.req, *coll);
    } else {
      errors.push_back(
        {line_no, "no collection (?collection= or _collection)"});
      continue;
    }
    if (op.collection.empty()) {
      errors.push_back({line_no, "invalid collection name"});
      continue;
    }
    op.kind = doc.contains("_key") ? op_kind::put : op_kind::insert;
    op.doc = dump(doc);
    b.ops.push_back(std::move(op));
    op_lines.push_back(line_no);
  }
  if (line_no > max_batch_ops * 10)
    return ctx.respond(error_response(413, "too many lines"));
  auto finish = [respond = ctx.respond, op_lines,
                 errors](const write_result& res) {
    if (res.overloaded)
      return respond(unavailable_response(res));
    json results = json::array();
    size_t ok = 0, failed = 0;
    size_t ei = 0;
    auto emit_errors_before = [&](size_t line) {
      while (ei < errors.size() && errors[ei].line < line) {
        results.push_back({{"line", errors[ei].line},
                           {"status", 400},
                           {"error", errors[ei].message}});
        ++failed;
        ++ei;
      }
    };
    for (size_t i = 0; i < op_lines.size(); ++i) {
      emit_errors_before(op_lines[i]);
      if (i >= res.results.size()) {
        results.push_back(
          {{"line", op_lines[i]}, {"status", 503}, {"error", res.error}});
        ++failed;
        continue;
      }
      auto& r = res.results[i];
      auto status = res.committed ? http_status(r.status) : 503;
      if (status < 300) {
        results.push_back({{"line", op_lines[i]},
                           {"status", status},
                           {"_key", r.key},
                           {"_rev", r.rev}});
        ++ok;
      } else {
        results.push_back(
          {{"line", op_lines[i]},
           {"status", status},
           {"error", r.message.empty() ? res.error : r.message}});
        ++failed;
      }
    }
    emit_errors_before(SIZE_MAX);
    respond(json_response(failed ? 207 : 200, dump({{"total", ok + failed},
                                                    {"succeeded", ok},
                                                    {"failed", failed},
                                                    {"results", results}})));
  };
  if (b.ops.empty())
    return finish(write_result{{}, true, {}});
  ctx.writer.submit(std::move(b), finish);
}

} // namespace themis
