/// ArangoDB's /_api/collection (issue 22): list, create, drop and the
/// info, properties, count, figures and truncate of one collection. Create
/// and drop run themisd's own handlers (audited, tenant-scoped); truncate
/// is the AQL `FOR d IN @@c REMOVE d IN @@c` on the query path, so it is
/// bounded like any query and every removal is a change event.

#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// ArangoDB's short description of a document collection.
json info(const std::string& shown, const std::string& stored) {
  auto id = arango_collection_id(stored);
  return {{"id", id},  {"name", shown},     {"status", 3},
          {"type", 2}, {"isSystem", false}, {"globallyUniqueId", "c" + id}};
}

json properties(const std::string& shown, const std::string& stored) {
  auto j = info(shown, stored);
  j.update({{"waitForSync", false},
            {"keyOptions", {{"type", "traditional"}, {"allowUserKeys", true}}},
            {"writeConcern", 1},
            {"replicationFactor", 1},
            {"numberOfShards", 1},
            {"shardKeys", {"_key"}},
            {"cacheEnabled", false},
            {"computedValues", nullptr},
            {"schema", nullptr},
            {"statusString", "loaded"}});
  return j;
}

/// The stored name of the path's collection and its document count;
/// false after answering 400 (illegal name) or 404 errorNum 1203.
bool existing(route_context& ctx, std::string& stored, int64_t& count) {
  stored = stored_collection(ctx.req, ctx.params.at(0));
  if (stored.empty()) {
    ctx.respond(arango_error(400, arango_errnum::illegal_name,
                             "illegal name: " + ctx.params[0]));
    return false;
  }
  for (auto& c : ctx.env.reader.collections())
    if (c.name == stored) {
      count = c.count;
      return true;
    }
  ctx.respond(arango_error(404, arango_errnum::collection_not_found,
                           "collection or view not found"));
  return false;
}

void collection_list(route_context& ctx) {
  json arr = json::array();
  for (auto& c : ctx.env.reader.collections())
    if (auto name = shown_collection(ctx.req, c.name); !name.empty())
      arr.push_back(info(name, c.name));
  ctx.respond(arango_ok(200, {{"result", arr}}));
}

void collection_create(route_context& ctx) {
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object() || !body.contains("name") ||
      !body["name"].is_string())
    return ctx.respond(arango_error(400, arango_errnum::illegal_name,
                                    "expecting a JSON object with a name"));
  auto name = body["name"].get<std::string>();
  int64_t type = 2;
  if (auto t = body.find("type"); t != body.end() && !t->is_null()) {
    if (!t->is_number_integer())
      return ctx.respond(
        arango_error(400, arango_errnum::bad_parameter, "type must be 2 or 3"));
    type = t->get<int64_t>();
  }
  if (type == 3)
    return ctx.respond(
      arango_error(501, arango_errnum::not_implemented,
                   "edge collections are not served over this API yet"));
  if (type != 2)
    return ctx.respond(
      arango_error(400, arango_errnum::bad_parameter, "invalid type"));
  auto stored = stored_collection(ctx.req, name);
  if (stored.empty())
    return ctx.respond(
      arango_error(400, arango_errnum::illegal_name, "illegal name: " + name));
  // keyOptions, waitForSync, schema … are accepted and not applied: keys
  // are always user-given or generated, writes always durable at commit
  arango_forward(
    ctx, create_collection, dump({{"name", name}}), {},
    [name, stored](api_response) {
      return arango_ok(200, properties(name, stored));
    },
    "POST", arango_errnum::duplicate_name);
}

void collection_get(route_context& ctx) {
  std::string stored;
  int64_t count = 0;
  if (existing(ctx, stored, count))
    ctx.respond(arango_ok(200, info(ctx.params[0], stored)));
}

void collection_drop(route_context& ctx) {
  std::string stored;
  int64_t count = 0;
  if (!existing(ctx, stored, count))
    return;
  arango_forward(
    ctx, drop_collection, {}, {ctx.params[0]},
    [id = arango_collection_id(stored)](api_response) {
      return arango_ok(200, {{"id", id}});
    },
    "DELETE");
}

void truncate(route_context& ctx, const std::string& stored) {
  json q = {{"query", "FOR d IN @@c REMOVE d IN @@c"},
            {"bindVars", {{"@c", ctx.params[0]}}}};
  arango_forward(
    ctx, query_aql, dump(q), {},
    [shown = ctx.params[0], stored](api_response) {
      return arango_ok(200, info(shown, stored));
    },
    "POST");
}

void collection_sub(route_context& ctx) {
  std::string stored;
  int64_t count = 0;
  if (!existing(ctx, stored, count))
    return;
  auto& shown = ctx.params[0];
  auto& sub = ctx.params.at(1);
  bool get = ctx.req.method == "GET";
  if (get && sub == "properties")
    return ctx.respond(arango_ok(200, properties(shown, stored)));
  if (get && (sub == "count" || sub == "figures")) {
    auto j = properties(shown, stored);
    j["count"] = count;
    if (sub == "figures")
      j["figures"] = {{"indexes", {{"count", 1}, {"size", 0}}},
                      {"documentsSize", 0},
                      {"cacheInUse", false},
                      {"cacheSize", 0},
                      {"cacheUsage", 0}};
    return ctx.respond(arango_ok(200, std::move(j)));
  }
  if (!get && sub == "truncate")
    return truncate(ctx, stored);
  if (!get && sub == "recalculateCount") // counts here are always exact
    return ctx.respond(arango_ok(200, {{"result", true}, {"count", count}}));
  ctx.respond(arango_error(501, arango_errnum::not_implemented,
                           ctx.req.method + " /_api/collection/{name}/" + sub +
                             " is not served here"));
}

} // namespace

void arango_collection_list(route_context& ctx) {
  arango_enter(ctx, collection_list);
}

void arango_collection_create(route_context& ctx) {
  arango_enter(ctx, collection_create);
}

void arango_collection_get(route_context& ctx) {
  arango_enter(ctx, collection_get);
}

void arango_collection_drop(route_context& ctx) {
  arango_enter(ctx, collection_drop);
}

void arango_collection_sub(route_context& ctx) {
  arango_enter(ctx, collection_sub);
}

} // namespace themis
