/// ThemisDB's changefeed administration and acknowledgements:
///   GET  /changefeed/stats       → {"latest_sequence","total_events",
///                                   "total_size_bytes"}
///   POST /changefeed/retention   {"before_sequence"}
///                                → {"before_sequence","deleted"}
///   POST /changefeed/stream/ack  {"consumer_id","up_to_sequence"}
///                                → {"acknowledged","consumer_id",
///                                   "up_to_sequence"}

#include <nlohmann/json.hpp>

#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "handlers/consumer_offsets.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// ThemisDB asks for `cdc:admin`; the log is every tenant's, so only a
/// principal of the global namespace with that scope (or admin) may.
bool require_cdc_admin(route_context& ctx) {
  auto& who = ctx.req.who;
  if (who.tenant.empty() && who.has_scope("cdc:admin"))
    return true;
  auto r = error_response(403, "Token does not have required scope: "
                               "cdc:admin (global namespace)");
  r.set_header("WWW-Authenticate", "Bearer realm=\"themis\", "
                                   "error=\"insufficient_scope\", "
                                   "scope=\"cdc:admin\"");
  ctx.respond(std::move(r));
  return false;
}

} // namespace

void changefeed_stats(route_context& ctx) {
  if (!require_cdc_admin(ctx))
    return;
  engine::store_options opts;
  opts.data_dir = ctx.env.config.engine.data_dir;
  auto path = engine::database_path(opts);
  auto latest = ctx.env.reader.last_sequence();
  // a scan of the log: on a worker, not on the connection's actor
  ctx.work.run_blocking(
    [path, latest](blocking_writer&) {
      try {
        engine::sqlite_db db(path, true, 5000);
        auto s = db.prepare(
          "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + "
          "COALESCE(LENGTH(CAST(value AS BLOB)), 0)), 0) FROM changelog");
        s.step();
        json j = {{"latest_sequence", latest},
                  {"total_events", s.int64(0)},
                  {"total_size_bytes", s.int64(1)}};
        return json_response(200, dump(j));
      } catch (const std::exception& e) {
        return error_response(500,
                              std::string("changefeed stats: ") + e.what());
      }
    },
    ctx.respond);
}

void changefeed_retention(route_context& ctx) {
  if (!require_cdc_admin(ctx))
    return;
  json body;
  if (auto deep = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*deep));
  if (body.is_discarded() || !body.is_object())
    return ctx.respond(error_response(400, "JSON error: expected an object"));
  if (!body.contains("before_sequence") && body.contains("max_age_ms"))
    return ctx.respond(error_response(
      400, "Only 'before_sequence' is supported for retention in MVP"));
  if (!body.contains("before_sequence") ||
      !body["before_sequence"].is_number_unsigned())
    return ctx.respond(
      error_response(400, "Provide 'before_sequence' (uint64)"));
  // The store writer deletes the rows and records compacted_through, so a
  // resume before it is refused with 410 (not silently skipped).
  auto before = body["before_sequence"].get<uint64_t>();
  engine::write_batch b;
  engine::write_op op;
  op.kind = engine::op_kind::truncate_log;
  op.key = std::to_string(before);
  b.ops.push_back(std::move(op));
  ctx.writer.submit(
    std::move(b), [respond = ctx.respond, before](engine::write_result res) {
      if (res.results.empty() || !res.committed)
        return respond(res.overloaded || res.results.empty()
                         ? unavailable_response(res)
                         : error_response(500, res.error));
      auto& r = res.results.front();
      if (r.status != engine::op_status::ok)
        return respond(error_response(http_status(r.status), r.message));
      respond(json_response(
        200, dump({{"before_sequence", before},
                   {"deleted", std::stoull(r.rev.empty() ? "0" : r.rev)}})));
    });
}

void changefeed_ack(route_context& ctx) {
  json body;
  if (auto deep = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*deep));
  if (body.is_discarded())
    return ctx.respond(error_response(400, "JSON error: invalid JSON"));
  if (!body.is_object() || !body.contains("consumer_id") ||
      !body.contains("up_to_sequence"))
    return ctx.respond(
      error_response(400, "Required fields: 'consumer_id' (string) and "
                          "'up_to_sequence' (uint64)"));
  if (!body["consumer_id"].is_string() ||
      !body["up_to_sequence"].is_number_unsigned())
    return ctx.respond(
      error_response(400, "JSON error: 'consumer_id' must be a string and "
                          "'up_to_sequence' an unsigned integer"));
  auto id = body["consumer_id"].get<std::string>();
  if (id.empty())
    return ctx.respond(error_response(400, "'consumer_id' must not be empty"));
  if (!consumer_offsets::valid_id(id))
    return ctx.respond(error_response(400, "Invalid 'consumer_id'"));
  auto up_to = body["up_to_sequence"].get<uint64_t>();
  uint64_t n = 0;
  try {
    n = consumer_offsets::of(ctx.env.config.engine.data_dir)
          .ack(ctx.req.who.tenant, id, up_to);
  } catch (const std::exception& e) {
    return ctx.respond(error_response(
      500, std::string("acknowledgement not stored: ") + e.what()));
  }
  json j = {
    {"acknowledged", n}, {"consumer_id", id}, {"up_to_sequence", up_to}};
  ctx.respond(json_response(200, dump(j)));
}

} // namespace themis
