/// Collection properties, statistics and truncate (issue 22,
/// docs/rest-api.md). Properties and statistics are read on a short-lived
/// read-only connection (as the index listing is); truncate is one write
/// through the store writer, which logs a DELETE change event per removed
/// document, so changefeed subscribers mirror it as they mirror a drop.

#include <optional>

#include <nlohmann/json.hpp>

#include "engine/collection_stats.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "handlers/breadth_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Reads with `read(db, stored)` and answers its object plus the name,
/// or 400 (bad name) / 404 (no such collection).
template <class Read>
void answer_read(route_context& ctx, Read read) {
  auto& name = ctx.params[0];
  auto stored = stored_collection(ctx.req, name);
  if (stored.empty())
    return ctx.respond(error_response(400, "invalid collection name: " + name));
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  std::optional<json> out;
  try {
    engine::sqlite_db db(engine::database_path(so), true, 2000);
    out = read(db, stored);
  } catch (const std::exception& e) {
    return ctx.respond(
      error_response(503, std::string("store busy: ") + e.what()));
  }
  if (!out)
    return ctx.respond(error_response(404, "collection not found: " + name));
  (*out)["name"] = name;
  ctx.respond(json_response(200, dump(*out)));
}

} // namespace

void collection_properties_get(route_context& ctx) {
  answer_read(ctx, engine::collection_properties);
}

void collection_statistics_get(route_context& ctx) {
  answer_read(ctx, engine::collection_statistics);
}

void collection_truncate(route_context& ctx) {
  auto& name = ctx.params[0];
  engine::write_op op;
  op.kind = engine::op_kind::truncate_collection;
  op.collection = stored_collection(ctx.req, name);
  if (op.collection.empty())
    return ctx.respond(error_response(400, "invalid collection name: " + name));
  auto audited =
    audit_on_success(ctx, "collection.truncate", "collection " + name);
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [name, audited](const engine::op_result& r, int) {
                  audited();
                  uint64_t removed = 0;
                  parse_uint(r.rev, removed);
                  return json_response(200,
                                       dump({{"name", name},
                                             {"truncated", true},
                                             {"removed", removed},
                                             {"last_sequence", r.sequence}}));
                });
}

} // namespace themis
