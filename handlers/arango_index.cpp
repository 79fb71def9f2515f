/// ArangoDB's /_api/index (issue 22) over themisd's index model: every
/// collection lists its primary index on _key; persistent (hash, skiplist)
/// and ttl indexes are themisd's (engine/index_def.hpp, "inBackground"
/// honoured), fulltext and vector its FTS5 and HNSW indexes. Geo,
/// inverted, mdi … answer 501 errorNum 9: claiming an index that does not
/// exist would mislead.

#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

json primary(const std::string& shown) {
  return {{"id", shown + "/0"},      {"name", "primary"}, {"type", "primary"},
          {"fields", {"_key"}},      {"unique", true},    {"sparse", false},
          {"selectivityEstimate", 1}};
}

/// A themisd search index (its to_json) as ArangoDB describes indexes.
json arango_index(const std::string& shown, const json& s) {
  if (!s.is_object())
    return {{"id", shown + "/"}, {"type", "unknown"}};
  auto type = s.value("type", std::string());
  // search indexes name one field; store indexes (edge, persistent) a list
  json fields = s.contains("fields") && s["fields"].is_array()
                  ? s["fields"]
                  : json::array({s.value("field", std::string())});
  bool search = type == "vector" || type == "fulltext";
  json j = {{"id", shown + "/" + s.value("name", std::string())},
            {"name", s.value("name", std::string())},
            {"type", type},
            {"fields", fields},
            {"unique", s.value("unique", false)},
            {"sparse", search || s.value("sparse", false)}};
  if (type == "ttl")
    j["expireAfter"] = s.value("expireAfter", 0.0);
  if (s.contains("inBackground"))
    j["inBackground"] = s["inBackground"];
  if (type == "vector")
    j["params"] = {{"dimension", s.value("dimension", 0)},
                   {"metric", s.value("metric", std::string())}};
  if (s.contains("state"))
    j["state"] = s["state"];
  return j;
}

/// The collection named by ?collection= (or the path), existing; false
/// after answering.
bool collection_param(route_context& ctx, std::string& shown,
                      std::string& stored) {
  shown = ctx.params.size() > 0
            ? ctx.params[0]
            : query_param(ctx.req.query, "collection").value_or("");
  stored = stored_collection(ctx.req, shown);
  if (stored.empty()) {
    ctx.respond(arango_error(400, arango_errnum::illegal_name,
                             "expecting a collection name"));
    return false;
  }
  if (ctx.env.reader.collection_exists(stored))
    return true;
  ctx.respond(arango_error(404, arango_errnum::collection_not_found,
                           "collection or view not found"));
  return false;
}

void idx_list(route_context& ctx) {
  std::string shown, stored;
  if (!collection_param(ctx, shown, stored))
    return;
  arango_forward(
    ctx, collection_indexes, {}, {shown},
    [shown](api_response r) {
      auto in = json::parse(r.body, nullptr, false);
      json list = json::array({primary(shown)});
      if (in.is_object() && in.contains("indexes") && in["indexes"].is_array())
        for (auto& s : in["indexes"])
          if (!s.is_object() || s.value("type", "") != "primary")
            list.push_back(arango_index(shown, s)); // primary: shown above
      json ids = json::object();
      for (auto& i : list)
        ids[i["id"].get<std::string>()] = i;
      return arango_ok(200, {{"indexes", list}, {"identifiers", ids}});
    },
    "GET");
}

void idx_create(route_context& ctx) {
  std::string shown, stored;
  if (!collection_param(ctx, shown, stored))
    return;
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object() || !body.contains("type") ||
      !body["type"].is_string())
    return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                    "expecting an object with a type"));
  auto type = body["type"].get<std::string>();
  if (type == "primary")
    return ctx.respond(arango_ok(200, primary(shown)));
  if (type == "persistent" || type == "hash" || type == "skiplist" ||
      type == "ttl") {
    json def = json::object();
    for (auto k : {"type", "fields", "unique", "sparse", "name", "expireAfter",
                   "inBackground"})
      if (body.contains(k))
        def[k] = body[k];
    return arango_forward(
      ctx, collection_indexes, dump(def), {shown},
      [shown](api_response r) {
        auto in = json::parse(r.body, nullptr, false);
        auto j = arango_index(shown, in);
        bool made = in.is_object() && in.value("isNewlyCreated", false);
        j["isNewlyCreated"] = made;
        return arango_ok(made ? 201 : 200, std::move(j));
      },
      "POST", arango_errnum::duplicate_name);
  }
  if (type != "fulltext" && type != "vector")
    return ctx.respond(arango_error(
      501, arango_errnum::not_implemented,
      "index type '" + type +
        "' is not supported here: themisd has persistent, ttl, fulltext "
        "and vector indexes"));
  auto f = body.find("fields");
  if (f == body.end() || !f->is_array() || f->size() != 1 ||
      !(*f)[0].is_string())
    return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                    "fields must name exactly one attribute"));
  json def = {{"type", type}, {"field", (*f)[0]}};
  if (auto n = body.find("name"); n != body.end() && n->is_string())
    def["name"] = *n;
  if (auto p = body.find("params"); type == "vector" && p != body.end()) {
    if (!p->is_object())
      return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                      "params must be an object"));
    for (auto k : {"dimension", "metric"})
      if (p->contains(k))
        def[k] = (*p)[k];
  }
  arango_forward(
    ctx, collection_indexes, dump(def), {shown},
    [shown](api_response r) {
      auto j = arango_index(shown, json::parse(r.body, nullptr, false));
      j["isNewlyCreated"] = true;
      return arango_ok(201, std::move(j));
    },
    "POST", arango_errnum::duplicate_name);
}

void idx_get(route_context& ctx) {
  std::string shown, stored;
  if (!collection_param(ctx, shown, stored))
    return;
  auto id = ctx.params.at(1);
  if (id == "0" || id == "primary")
    return ctx.respond(arango_ok(200, primary(shown)));
  arango_forward(
    ctx, collection_index, {}, {shown, id},
    [shown](api_response r) {
      return arango_ok(
        200, arango_index(shown, json::parse(r.body, nullptr, false)));
    },
    "GET");
}

void idx_drop(route_context& ctx) {
  std::string shown, stored;
  if (!collection_param(ctx, shown, stored))
    return;
  auto id = ctx.params.at(1);
  if (id == "0" || id == "primary")
    return ctx.respond(arango_error(400, arango_errnum::forbidden,
                                    "cannot drop the primary index"));
  arango_forward(
    ctx, collection_index, {}, {shown, id},
    [id = shown + "/" + id](api_response) {
      return arango_ok(200, {{"id", id}});
    },
    "DELETE");
}

} // namespace

void arango_index_list(route_context& ctx) {
  arango_enter(ctx, idx_list);
}

void arango_index_create(route_context& ctx) {
  arango_enter(ctx, idx_create);
}

void arango_index_get(route_context& ctx) {
  arango_enter(ctx, idx_get);
}

void arango_index_drop(route_context& ctx) {
  arango_enter(ctx, idx_drop);
}

} // namespace themis
