/// Search and vectors, graphs, GraphQL and MCP routes (issues 21, 32).

#include "handlers/graph_routes.hpp"
#include "handlers/graphql_http.hpp"
#include "handlers/mcp_routes.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/route_table.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/vector_snapshot_routes.hpp"

namespace themis {

namespace s = schemas;
using json = nlohmann::json;

namespace {

void search_routes(route_registry& reg) {
  reg.add("/v1/collections/{c}/indexes", {"indexes"})
    .get(collection_indexes, "List a collection's search indexes")
    .scope("data:read")
    .errors({400, 404})
    .post(collection_indexes, "Create a search index")
    .scope("data:write")
    .body(s::object(), {{"type", "fulltext"}, {"field", "text"}})
    .errors({201, 202, 400, 404, 409});
  reg.add("/v1/collections/{c}/indexes/{name}", {"indexes"})
    .get(collection_index, "A search index's state")
    .scope("data:read")
    .errors({404})
    .del(collection_index, "Drop a search index")
    .scope("data:write")
    .errors({404});
  reg.add("/vector/search", {"vector"})
    .post(vector_search, "Vector k-NN search")
    .scope("data:read")
    .body(s::object(), {{"vector", {0.1, 0.2}}, {"k", 1}})
    .errors({400, 404, 503});
  reg.add("/vector/batch_insert", {"vector"})
    .post(vector_batch_insert, "Insert vectors")
    .scope("data:write")
    .body(s::object(), {{"items", json::array()}})
    .errors({400, 404, 503});
  reg.add("/vector/index/stats", {"vector"})
    .get(vector_index_stats, "Vector index statistics")
    .scope("data:read")
    .errors({404, 503});
  reg.add("/vector/index/config", {"vector"})
    .get(vector_index_config, "Vector index configuration")
    .scope("data:read")
    .errors({404, 503})
    .put(vector_index_config, "Change the vector index configuration")
    .scope("data:write")
    .body(s::object(), json::object())
    .errors({400, 404, 503});
  for (auto p : {"save", "load"})
    reg.add(std::string("/vector/index/") + p, {"vector"})
      .post(vector_index_save_load,
            std::string(p == std::string("save") ? "Save" : "Load") +
              " a vector index snapshot")
      .scope("data:write")
      .body(s::object(), {{"directory", "snap"}})
      .errors({400, 404, 409, 503});
  reg.add("/vector/by-filter", {"vector"})
    .del(vector_delete_by_filter, "Delete vectors by keys or key prefix")
    .scope("data:write")
    .body(s::object(), {{"pks", json::array()}})
    .errors({400, 404, 503});
  reg.add("/index/create", {"indexes"})
    .post(index_create, "Create an index (ThemisDB)")
    .scope("data:write")
    .body(s::object(), json::object())
    .errors({400, 409, 503});
  reg.add("/index/drop", {"indexes"})
    .post(index_drop, "Drop an index (ThemisDB)")
    .scope("data:write")
    .body(s::object(), json::object())
    .errors({400, 404, 503});
  reg.add("/search/fulltext", {"search"})
    .post(fulltext_search, "Full-text search")
    .scope("data:read")
    .body(s::object(), json::object())
    .errors({400, 404, 503});
  for (auto p : {"/search/hybrid", "/search/fusion"})
    reg.add(p, {"search"})
      .post(hybrid_search, "Hybrid (fusion) search")
      .scope("data:read")
      .body(s::object(), json::object())
      .errors({400, 404, 503});
}

void graph_routes(route_registry& reg) {
  reg.add("/graph/traverse", {"graph"})
    .post(graph_traverse, "Breadth-first traversal")
    .scope("data:read")
    .body(s::object(), {{"start", "v/1"}, {"max_depth", 1}})
    .errors({400, 404});
  reg.add("/graph/edge", {"graph"})
    .post(graph_edge_create, "Create an edge")
    .scope("data:write")
    .body(s::object(), {{"_from", "v/1"}, {"_to", "v/2"}})
    .errors({201, 400, 404, 409});
  reg.add("/graph/edge/{id}", {"graph"})
    .del(graph_edge_delete, "Delete an edge")
    .scope("data:write")
    .errors({400, 404});
  // the gate's path rules never named /v1/graphs: admin, as before
  reg.add("/v1/graphs", {"graph"})
    .get(graph_list, "List named graphs")
    .scope("admin")
    .post(graph_create, "Create a named graph")
    .scope("admin")
    .body(s::object(), {{"name", "g"}})
    .errors({201, 202, 400, 409});
  reg.add("/v1/graphs/{name}", {"graph"})
    .get(graph_get, "Get a named graph")
    .scope("admin")
    .errors({404})
    .del(graph_delete, "Drop a named graph")
    .scope("admin")
    .errors({404});
}

} // namespace

void register_extension_routes(route_registry& reg) {
  search_routes(reg);
  graph_routes(reg);
  // GraphQL checks each operation's scopes; MCP answers its own 401
  reg.add("/graphql", {"graphql"})
    .get(graphql_http, "GraphQL over HTTP (query)")
    .scope("authenticated")
    .errors({400, 405, 406, 415})
    .own_error_shape()
    .post(graphql_http, "GraphQL over HTTP")
    .scope("authenticated")
    .body(nullptr, {{"query", "{ __typename }"}}) // its own checks
    .errors({400, 406, 415})
    .own_error_shape();
  reg.add("/mcp", {"mcp"})
    .get(mcp_endpoint, "MCP server-to-client stream")
    .scope("")
    .produces("text/event-stream")
    .errors({400, 401, 404, 405, 406})
    .own_error_shape()
    .post(mcp_endpoint, "MCP JSON-RPC messages")
    .scope("")
    .errors({202, 400, 401, 403, 404, 406, 415})
    .own_error_shape()
    .del(mcp_endpoint, "End an MCP session")
    .scope("")
    .errors({204, 400, 401, 404, 405})
    .own_error_shape();
  for (auto p : {"/.well-known/oauth-protected-resource",
                 "/.well-known/oauth-protected-resource/mcp"})
    reg.add(p, {"mcp"})
      .label("/.well-known/oauth-protected-resource")
      .get(mcp_resource_metadata, "OAuth protected-resource metadata")
      .scope("");
}

} // namespace themis
