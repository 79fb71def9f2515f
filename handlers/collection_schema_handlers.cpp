/// Per-collection JSON Schemas over REST (issue 22, docs/collection-schemas.md):
/// GET/PUT/DELETE /api/v1/collections/{c}/schema. The rule is read on a
/// short-lived read-only connection; setting and removing it go through
/// the store writer (engine/collection_schema.hpp), whose triggers then
/// enforce it on every write path.

#include <nlohmann/json.hpp>

#include "engine/collection_schema.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_table.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

bool stored_name(route_context& ctx, std::string& stored) {
  stored = stored_collection(ctx.req, ctx.params[0]);
  if (!stored.empty())
    return true;
  ctx.respond(error_response(400, "invalid collection name: " + ctx.params[0]));
  return false;
}

void get_schema(route_context& ctx) {
  std::string stored;
  if (!stored_name(ctx, stored))
    return;
  engine::store_options so;
  so.data_dir = ctx.env.config.engine.data_dir;
  engine::sqlite_db db(engine::database_path(so), true, 2000);
  auto exists = db.prepare("SELECT 1 FROM collections WHERE name = ?1");
  exists.bind(1, stored);
  if (!exists.step())
    return ctx.respond(
      error_response(404, "collection not found: " + ctx.params[0]));
  auto s = engine::load_collection_schema(db, stored);
  if (!s)
    return ctx.respond(error_response(
      404, "collection " + ctx.params[0] + " has no schema"));
  auto j = engine::to_json(*s);
  j["collection"] = ctx.params[0];
  ctx.respond(json_response(200, dump(j)));
}

void write_schema(route_context& ctx, std::string doc, int status) {
  engine::write_op op;
  op.kind = engine::op_kind::set_schema;
  if (!stored_name(ctx, op.collection))
    return;
  op.doc = std::move(doc);
  submit_single(ctx.writer, std::move(op), ctx.respond,
                [name = ctx.params[0], status](const engine::op_result& r,
                                               int) {
                  if (r.doc.empty())
                    return json_response(
                      200, dump({{"collection", name}, {"removed", true}}));
                  auto j = json::parse(r.doc);
                  j["collection"] = name;
                  return json_response(status, dump(j));
                });
}

void put_schema(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  engine::collection_schema s;
  // checked here for a 400 with the reason before the writer's queue; the
  // writer checks again (it is the one gate every protocol passes)
  if (auto e = engine::parse_collection_schema(body, s); !e.empty())
    return ctx.respond(error_response(400, e));
  write_schema(ctx, engine::to_json(s).dump(), 200);
}

void delete_schema(route_context& ctx) { write_schema(ctx, {}, 200); }

json schema_body() {
  return {{"type", "object"},
          {"required", {"rule"}},
          {"additionalProperties", false},
          {"properties",
           {{"rule",
             {{"description", "a JSON Schema (draft 7 keywords; no $ref, no "
                              "patternProperties; pattern in RE2 syntax)"}}},
            {"level",
             {{"type", "string"},
              {"enum", {"strict", "moderate", "new", "off", "none"}}}},
            {"message", {{"type", "string"}, {"maxLength", 1024}}}}}};
}

json schema_answer() {
  return {{"type", "object"},
          {"required", {"collection"}},
          {"properties",
           {{"collection", {{"type", "string"}}},
            {"rule", json::object()},
            {"level", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"removed", {{"type", "boolean"}}}}}};
}

} // namespace

void register_schema_routes(route_registry& reg) {
  json example = {
    {"rule",
     {{"type", "object"},
      {"required", {"name"}},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"age", {{"type", "integer"}, {"minimum", 0}}}}}}},
    {"level", "strict"},
    {"message", "a user needs a name"}};
  reg.add("/api/v1/collections/{c}/schema", {"collections"})
    .get(get_schema, "Get a collection's JSON Schema")
    .scope("data:read")
    .response(schema_answer())
    .errors({400, 404})
    .put(put_schema, "Set a collection's JSON Schema")
    .describe("Every later insert and update of the collection, by any "
              "protocol, is checked against the rule at the level given: "
              "strict (all writes), moderate (inserts and updates of valid "
              "documents), new (inserts), off. Documents stored before are "
              "not checked. A refused write answers HTTP 400, SQLSTATE 23514, "
              "MQTT 5 reason 0x99, gRPC INVALID_ARGUMENT.")
    .scope("data:write")
    .body(schema_body(), example)
    .response(schema_answer())
    .errors({400, 404})
    .del(delete_schema, "Remove a collection's JSON Schema")
    .scope("data:write")
    .response(schema_answer())
    .errors({400, 404});
}

} // namespace themis
