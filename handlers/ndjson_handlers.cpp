/// POST /v2/documents: NDJSON bulk load, one document per line, each
/// line committed (or refused) on its own and reported by line number.

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
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

constexpr size_t max_batch_ops = 10000;

} // namespace

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
