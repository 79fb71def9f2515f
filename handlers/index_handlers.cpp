/// Search index definitions over REST: ThemisDB's POST /index/create and
/// /index/drop ({"table","column","type":"fulltext"|"vector","config"})
/// and themisd's /v1/collections/{c}/indexes[/{name}]. Indexes live in the
/// principal's namespace like its collections; a tenant may hold at most
/// max_tenant_indexes of them.

#include "engine/sql/sql_catalog.hpp"
#include "handlers/collection_index_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using namespace search_http;

constexpr size_t max_tenant_indexes = 32;

/// Creates the index described by `body` on `stored`; the answer, or an
/// error response.
api_response create(route_context& ctx, search::search_service& svc,
                    const json& body, const std::string& stored,
                    bool themisdb) {
  search::index_def d;
  if (auto e = search::parse_index_def(body, d); !e.empty())
    return error_response(400, e);
  d.collection = stored;
  if (visible(ctx.req, svc).size() >= max_tenant_indexes)
    return error_response(409, "this namespace has " +
                                 std::to_string(max_tenant_indexes) +
                                 " search indexes, the limit");
  try {
    auto st = svc.create_index(d);
    auto shown = shown_collection(ctx.req, stored);
    if (!themisdb)
      return json_response(201, dump(st.to_json(shown)));
    return json_response(200, dump({{"success", true},
                                    {"table", shown},
                                    {"column", d.attribute},
                                    {"index", st.to_json(shown)}}));
  } catch (const std::exception& e) {
    return error_of(e);
  }
}

/// The store's own indexes of `stored` as the listing shows them: the
/// primary key, the edge index when the collection holds edges
/// (docs/graph.md) and a SQL table's indexes (CREATE INDEX, UNIQUE,
/// PRIMARY KEY: "persistent"). Always built: no build state but "ready".
json store_indexes(search::search_service& svc, const std::string& stored) {
  json out = json::array();
  auto f = svc.facts_of(stored);
  if (!f.exists)
    return out;
  bool pk = false;
  if (!f.sql_def.empty()) {
    auto t = sql::table_from_json(stored, f.sql_def);
    for (auto& idx : t.indexes) {
      json fields = json::array();
      for (int c : idx.columns)
        if (c >= 0 && static_cast<size_t>(c) < t.columns.size())
          fields.push_back(t.columns[static_cast<size_t>(c)].name);
      pk = pk || idx.primary;
      out.push_back({{"name", idx.name},
                     {"type", idx.primary ? "primary" : "persistent"},
                     {"fields", fields},
                     {"unique", idx.unique},
                     {"sqlite_index", sql::sqlite_index_name(stored, idx.name)},
                     {"state", "ready"}});
    }
  }
  if (!pk) // the document key (every collection's documents(collection, key))
    out.insert(out.begin(), json{{"name", "primary"},
                                 {"type", "primary"},
                                 {"fields", {"_key"}},
                                 {"unique", true},
                                 {"state", "ready"}});
  if (f.edges)
    out.push_back(
      {{"name", "edge"},
       {"type", "edge"},
       {"fields", {"_from", "_to"}},
       {"unique", false},
       {"sqlite_index", {"documents_edge_from", "documents_edge_to"}},
       {"state", "ready"}});
  return out;
}

} // namespace

void index_create(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  if (stored.empty())
    return ctx.respond(error_response(400, "'table' is required"));
  auto type = body.value("type", std::string("equality"));
  // equality / range: persistent indexes (issue 22)
  if (themisdb_index_create(ctx, body, stored))
    return;
  if (type != "fulltext" && type != "vector")
    return ctx.respond(error_response(
      400, "type '" + type +
             "' is not supported: this server creates equality, range, "
             "fulltext and vector indexes"));
  ctx.respond(create(ctx, *svc, body, stored, true));
}

void index_drop(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  if (stored.empty())
    return ctx.respond(error_response(400, "'table' is required"));
  // equality / range: a persistent index of that column (issue 22)
  try {
    if (themisdb_index_drop(ctx, body, stored))
      return;
  } catch (const std::exception& e) {
    return ctx.respond(error_of(e));
  }
  auto type = body.value("type", std::string("fulltext"));
  auto kind = type == "vector" ? search::index_kind::vector
                               : search::index_kind::fulltext;
  auto column = body.value("column", body.value("field", std::string()));
  auto name = body.value("name", std::string());
  try {
    auto st = svc->resolve(kind, stored, name, column);
    svc->drop_index(stored, st.def.name);
    ctx.respond(json_response(
      200,
      dump({{"success", true},
            {"table", body.value("table", body.value("collection", json()))},
            {"column", st.def.attribute}})));
  } catch (const std::exception& e) {
    ctx.respond(error_of(e));
  }
}

void collection_indexes(route_context& ctx) {
  auto* svc = service(ctx);
  if (!svc)
    return;
  auto stored = stored_collection(ctx.req, ctx.params.at(0));
  if (stored.empty())
    return ctx.respond(error_response(400, "invalid collection name"));
  if (ctx.req.method == "GET") {
    json list;
    try {
      list = store_indexes(*svc, stored);
      for (auto& d : doc_index_list(ctx, stored)) // issue 22
        list.push_back(std::move(d));
    } catch (const std::exception& e) {
      return ctx.respond(error_of(e));
    }
    for (auto& s : svc->list(stored))
      list.push_back(s.to_json(ctx.params[0]));
    return ctx.respond(json_response(
      200, dump({{"collection", ctx.params[0]}, {"indexes", list}})));
  }
  json body;
  if (!body_object(ctx, body))
    return;
  if (is_doc_index_request(body)) // persistent / ttl (issue 22)
    return doc_index_create(ctx, body, stored);
  ctx.respond(create(ctx, *svc, body, stored, false));
}

void collection_index(route_context& ctx) {
  auto* svc = service(ctx);
  if (!svc)
    return;
  auto stored = stored_collection(ctx.req, ctx.params.at(0));
  if (stored.empty())
    return ctx.respond(error_response(400, "invalid collection name"));
  const auto& name = ctx.params.at(1);
  std::optional<json> doc_index; // persistent / ttl (issue 22)
  try {
    doc_index = doc_index_find(ctx, stored, name);
  } catch (const std::exception& e) {
    return ctx.respond(error_of(e));
  }
  if (doc_index && ctx.req.method == "DELETE")
    return doc_index_drop(ctx, stored, name);
  if (doc_index)
    return ctx.respond(json_response(200, dump(*doc_index)));
  if (ctx.req.method == "DELETE") {
    if (!svc->drop_index(stored, name))
      return ctx.respond(error_response(404, "no index named '" + name + "'"));
    return ctx.respond(json_response(
      200, dump({{"dropped", name}, {"collection", ctx.params[0]}})));
  }
  for (auto& s : svc->list(stored))
    if (s.def.name == name)
      return ctx.respond(json_response(200, dump(s.to_json(ctx.params[0]))));
  ctx.respond(error_response(404, "no index named '" + name + "'"));
}

} // namespace themis
