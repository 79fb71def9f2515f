/// POST /entities/batch: ThemisDB's batch. Each operation stands alone:
/// the valid ones commit, the bad ones are reported by index
/// (`{"success","total","succeeded","failed","errors":[{"index","key",
/// "error"}]}`). Accepts `{"operations":[{"op":"put"|"delete","key",
/// "blob"}]}` and ThemisDB adapters' `{"entities":[{"key","blob"}]}`.
/// With X-Transaction-Id the operations are staged in the transaction.

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/themisdb_compat.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::write_batch;
using engine::write_op;
using engine::write_result;

constexpr size_t max_batch_ops = 10000;

struct batch_error {
  size_t index;
  std::string key;
  std::string error;
};

/// One operation of the request as a write op; "" or the reason it is bad.
std::string to_op(const api_request& req, const json& o, write_op& op,
                  std::string& key) {
  if (!o.is_object())
    return "operation must be an object";
  auto k = o.find("key");
  if (k == o.end() || !k->is_string())
    return "needs a string 'key' (table:pk)";
  key = k->get<std::string>();
  if (!parse_entity_key(req, key, op.collection, op.key))
    return "Key must be in format 'table:pk'";
  op.create_collection = true;
  auto kind = o.value("op", std::string("put"));
  if (kind == "delete") {
    op.kind = op_kind::remove;
    return {};
  }
  if (kind != "put")
    return "op must be put or delete";
  op.kind = op_kind::put;
  auto b = o.find("blob");
  if (b == o.end())
    return "Missing 'blob' field";
  if (b->is_object()) {
    op.doc = dump(*b);
    return {};
  }
  if (!b->is_string())
    return "'blob' must be a string";
  auto doc = document_of_blob(b->get<std::string>());
  if (!doc)
    return engine::json_too_deep_message();
  op.doc = std::move(*doc);
  return {};
}

api_response report(size_t total, const std::vector<batch_error>& errors) {
  json errs = json::array();
  for (auto& e : errors)
    errs.push_back({{"index", e.index}, {"key", e.key}, {"error", e.error}});
  return json_response(200, dump({{"success", errors.empty()},
                                  {"total", total},
                                  {"succeeded", total - errors.size()},
                                  {"failed", errors.size()},
                                  {"errors", errs}}));
}

} // namespace

void entity_batch(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  const json* ops = nullptr;
  if (!body.is_discarded() && body.is_object())
    for (auto name : {"operations", "entities"})
      if (auto it = body.find(name); it != body.end() && it->is_array())
        ops = &*it;
  if (!ops)
    return ctx.respond(error_response(
      400, "expected {\"operations\": [{\"op\", \"key\", \"blob\"}…]}"));
  if (ops->size() > max_batch_ops)
    return ctx.respond(error_response(
      400, "batch has " + std::to_string(ops->size()) +
             " operations; the limit is " + std::to_string(max_batch_ops)));
  bool refused = false;
  auto tx = request_tx(ctx, refused);
  if (refused)
    return;
  write_batch b;
  b.atomic = false; // each operation stands alone
  std::vector<batch_error> errors;
  std::vector<size_t> index; // request index of b.ops[i]
  std::vector<std::string> keys;
  for (size_t i = 0; i < ops->size(); ++i) {
    write_op op;
    std::string key;
    auto why = to_op(ctx.req, (*ops)[i], op, key);
    if (!why.empty()) {
      errors.push_back({i, key, why});
      continue;
    }
    b.ops.push_back(std::move(op));
    index.push_back(i);
    keys.push_back(key);
  }
  auto total = ops->size();
  auto finish = [respond = ctx.respond, total, errors, index,
                 keys](const write_result& res) mutable {
    if (res.overloaded)
      return respond(unavailable_response(res));
    for (size_t i = 0; i < index.size(); ++i) {
      if (i >= res.results.size()) {
        errors.push_back({index[i], keys[i], res.error});
        continue;
      }
      auto& r = res.results[i];
      auto status = http_status(r.status);
      // ThemisDB deletes a missing key without complaint
      if (r.status == engine::op_status::not_found ||
          r.status == engine::op_status::collection_not_found)
        status = 200;
      if (status >= 400)
        errors.push_back({index[i], keys[i], r.message});
    }
    std::sort(errors.begin(), errors.end(),
              [](auto& a, auto& b) { return a.index < b.index; });
    respond(report(total, errors));
  };
  if (b.ops.empty())
    return finish(write_result{{}, true, {}});
  if (tx) {
    auto res = tx->stage(b, reader_of(ctx), ctx.env.transactions->limits());
    return finish(res);
  }
  ctx.writer.submit(std::move(b), std::move(finish));
}

} // namespace themis
