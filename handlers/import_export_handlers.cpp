#include "handlers/import_export_handlers.hpp"

#include <memory>

#include "engine/json_bounded.hpp"
#include "handlers/http_json.hpp"
#include "handlers/import_parse.hpp"
#include "handlers/streaming_query.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Documents per group commit, and their bytes: a batch in flight is all
/// an import holds besides the body itself.
constexpr size_t batch_docs = 1000;
constexpr size_t batch_bytes = 4 << 20;
/// Per-line errors listed in the answer (all are counted).
constexpr size_t max_details = 100;

struct import_run {
  std::string body;
  import_reader reader;
  std::string collection; ///< stored
  bool overwrite = false, create = false;
  uint64_t created = 0, updated = 0, errors = 0, empty = 0, batches = 0;
  json details = json::array();
  responder respond;
  write_port* writer = nullptr;

  import_run(std::string b, import_format f) :
    body(std::move(b)), reader(body, f) {}

  void error(size_t line, std::string message) {
    ++errors;
    if (details.size() < max_details)
      details.push_back({{"line", line}, {"message", std::move(message)}});
  }

  /// Submits the next batch; answers when nothing is left.
  static void next(std::shared_ptr<import_run> self) {
    engine::write_batch b;
    b.atomic = false; // one bad document does not stop the others
    std::vector<size_t> lines;
    size_t bytes = 0;
    import_item item;
    while (b.ops.size() < batch_docs && bytes < batch_bytes &&
           self->reader.next(item)) {
      if (item.empty) {
        ++self->empty;
        continue;
      }
      if (!item.error.empty()) {
        self->error(item.line, item.error);
        continue;
      }
      engine::write_op op;
      op.kind =
        self->overwrite ? engine::op_kind::put : engine::op_kind::insert;
      op.collection = self->collection;
      op.doc = std::move(item.doc);
      op.create_collection = self->create;
      bytes += op.doc.size();
      b.ops.push_back(std::move(op));
      lines.push_back(item.line);
    }
    if (b.ops.empty())
      return self->finish();
    ++self->batches;
    auto* w = self->writer;
    w->submit(
      std::move(b), [self, lines = std::move(lines)](engine::write_result res) {
        if (res.results.empty() || (!res.committed && !res.error.empty())) {
          // the whole batch failed (overload, shutdown): stop here, say so
          for (auto l : lines)
            self->error(l, res.error.empty() ? "not stored" : res.error);
          return self->finish(res.overloaded ? 503 : 200);
        }
        for (size_t i = 0; i < res.results.size() && i < lines.size(); ++i) {
          auto& r = res.results[i];
          if (r.status == engine::op_status::created)
            ++self->created;
          else if (r.status == engine::op_status::ok)
            ++self->updated;
          else
            self->error(lines[i],
                        r.status == engine::op_status::collection_not_found
                          ? "collection not found"
                          : r.message);
        }
        next(self);
      });
  }

  void finish(int status = 200) {
    respond(json_response(status, dump({{"created", created},
                                        {"updated", updated},
                                        {"errors", errors},
                                        {"empty", empty},
                                        {"batches", batches},
                                        {"details", details}})));
  }
};

bool flag_param(const api_request& req, const char* name) {
  auto v = query_param(req.query, name);
  return v && (*v == "true" || *v == "1");
}

} // namespace

void collection_import(route_context& ctx) {
  auto stored = stored_collection(ctx.req, ctx.params.at(0));
  if (stored.empty())
    return ctx.respond(error_response(400, "invalid collection name"));
  import_format f;
  auto ct = ctx.req.header("Content-Type");
  std::string type = ct ? *ct : "application/x-ndjson";
  if (type.find("csv") != std::string::npos)
    f = import_format::csv;
  else if (type.find("ndjson") != std::string::npos ||
           type.find("jsonl") != std::string::npos)
    f = import_format::ndjson;
  else if (type.find("json") != std::string::npos)
    f = import_format::json_array;
  else
    return ctx.respond(error_response(
      415, "Content-Type must be application/x-ndjson, application/json "
           "(an array of objects) or text/csv"));
  bool create = flag_param(ctx.req, "createCollection");
  if (!create && !ctx.env.reader.collection_exists(stored))
    return ctx.respond(
      error_response(404, "collection not found: " + ctx.params[0]));
  auto run = std::make_shared<import_run>(ctx.req.body, f);
  if (auto e = run->reader.open_error(); !e.empty())
    return ctx.respond(error_response(400, e));
  run->collection = stored;
  run->overwrite = flag_param(ctx.req, "overwrite");
  run->create = create;
  run->respond = ctx.respond;
  run->writer = &ctx.streams.connection_writer();
  import_run::next(run);
}

void collection_export(route_context& ctx) {
  auto stored = stored_collection(ctx.req, ctx.params.at(0));
  if (stored.empty())
    return ctx.respond(error_response(400, "invalid collection name"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(
      error_response(404, "collection not found: " + ctx.params[0]));
  stream_format fmt = stream_format::ndjson;
  auto format = query_param(ctx.req.query, "format");
  auto accept = ctx.req.header("Accept");
  if (format) {
    if (*format == "csv")
      fmt = stream_format::csv;
    else if (*format == "json")
      fmt = stream_format::json_array;
    else if (*format != "ndjson")
      return ctx.respond(
        error_response(400, "format must be ndjson, csv or json"));
  } else if (accept && accept->find("text/csv") != std::string::npos) {
    fmt = stream_format::csv;
  } else if (accept && accept->find("application/json") != std::string::npos) {
    fmt = stream_format::json_array;
  }
  // in key order; the principal's own namespace (the query is tenant-scoped)
  stream_query_rows(ctx, "FOR d IN @@c RETURN d", {{"@c", ctx.params[0]}}, fmt);
}

} // namespace themis
