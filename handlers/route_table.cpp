#include "handlers/route_table.hpp"

#include "handlers/arango_routes.hpp"
#include "handlers/graph_routes.hpp"
#include "handlers/mcp_routes.hpp"
#include "handlers/graphql_http.hpp"
#include "handlers/import_export_handlers.hpp"
#include "handlers/route_context.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/vector_snapshot_routes.hpp"

namespace themis {

bool match_route(const std::vector<std::string>& s, bool debug, bool faults,
                 method_map& m, std::vector<std::string>& params,
                 std::string& label) {
  auto n = s.size();
  auto is = [&](size_t i, const char* lit) { return i < n && s[i] == lit; };
  if ((n == 1 && is(0, "health")) || n == 0) {
    // ThemisDB answers / and /health to any method
    label = n == 0 ? "/" : "/health";
    m.get = m.any = health;
  } else if (n == 2 && is(0, "health") && is(1, "live")) {
    label = "/health/live";
    m.get = health_live;
  } else if (n == 2 && is(0, "health") && is(1, "ready")) {
    label = "/health/ready";
    m.get = health_ready;
  } else if (n == 1 && is(0, "metrics")) {
    label = "/metrics";
    m.get = metrics;
  } else if (n == 4 && is(0, "api") && is(1, "v1") && is(2, "admin") &&
             is(3, "log-level")) {
    label = "/api/v1/admin/log-level";
    m.get = log_level_get;
    m.put = log_level_put;
    // --- vector and full-text search routes (issue 32) begin ---
  } else if ((n == 4 || n == 5) && is(0, "v1") && is(1, "collections") &&
             is(3, "indexes")) {
    label = n == 4 ? "/v1/collections/{c}/indexes"
                   : "/v1/collections/{c}/indexes/{name}";
    if (n == 4)
      m.get = m.post = collection_indexes;
    else
      m.get = m.del = collection_index;
    params.push_back(s[2]);
    if (n == 5)
      params.push_back(s[4]);
  } else if (n == 2 && is(0, "vector") &&
             (is(1, "search") || is(1, "batch_insert"))) {
    label = "/vector/" + s[1];
    m.post = is(1, "search") ? vector_search : vector_batch_insert;
  } else if (n == 3 && is(0, "vector") && is(1, "index") &&
             (is(2, "stats") || is(2, "config"))) {
    label = "/vector/index/" + s[2];
    m.get = is(2, "stats") ? vector_index_stats : vector_index_config;
    if (is(2, "config"))
      m.put = vector_index_config;
  } else if (n == 3 && is(0, "vector") && is(1, "index") &&
             (is(2, "save") || is(2, "load"))) {
    label = "/vector/index/" + s[2]; // issue 32 (vector_snapshot_routes.hpp)
    m.post = vector_index_save_load;
  } else if (n == 2 && is(0, "vector") && is(1, "by-filter")) {
    label = "/vector/by-filter";
    m.del = vector_delete_by_filter;
  } else if (n == 2 && is(0, "index") && (is(1, "create") || is(1, "drop"))) {
    label = "/index/" + s[1];
    m.post = is(1, "create") ? index_create : index_drop;
  } else if (n == 2 && is(0, "search") &&
             (is(1, "fulltext") || is(1, "hybrid") || is(1, "fusion"))) {
    label = "/search/" + s[1];
    m.post = is(1, "fulltext") ? fulltext_search : hybrid_search;
    // --- vector and full-text search routes (issue 32) end ---
  } else if (n == 4 && is(0, "v1") && is(1, "collections") &&
             (is(3, "import") || is(3, "export"))) {
    // issue 22: bulk import and streamed export (import_export_handlers)
    label = "/v1/collections/{c}/" + s[3];
    if (is(3, "import"))
      m.post = collection_import;
    else
      m.get = collection_export;
    params.push_back(s[2]);
  } else if (n >= 2 && is(0, "v1") && is(1, "collections")) {
    if (n == 2) {
      label = "/v1/collections";
      m.get = list_collections;
      m.post = create_collection;
    } else if (n == 3) {
      label = "/v1/collections/{c}";
      m.get = get_collection;
      m.del = drop_collection;
    } else if (n == 4 && is(3, "documents")) {
      label = "/v1/collections/{c}/documents";
      m.get = list_documents;
      m.post = insert_document;
    } else if (n == 5 && is(3, "documents")) {
      label = "/v1/collections/{c}/documents/{key}";
      m.get = get_document;
      m.put = m.patch = m.del = write_document;
    } else {
      return false;
    }
    params.assign(s.begin() + 2, s.end());
    if (n >= 4)
      params.erase(params.begin() + 1); // drop the literal "documents"
  } else if (n == 1 && is(0, "graphql")) { // issue 21
    label = "/graphql";
    m.get = m.post = graphql_http;
  } else if (n == 1 && is(0, "entities")) {
    label = "/entities";
    m.post = post_entity;
    // --- graph routes (issue 32, handlers/graph_handlers.cpp) begin ---
  } else if (n == 2 && is(0, "graph") && is(1, "traverse")) {
    label = "/graph/traverse";
    m.post = graph_traverse;
  } else if (n == 2 && is(0, "graph") && is(1, "edge")) {
    label = "/graph/edge";
    m.post = graph_edge_create;
  } else if (n == 3 && is(0, "graph") && is(1, "edge")) {
    label = "/graph/edge/{id}";
    m.del = graph_edge_delete;
    params.push_back(s[2]);
  } else if ((n == 2 || n == 3) && is(0, "v1") && is(1, "graphs")) {
    label = n == 2 ? "/v1/graphs" : "/v1/graphs/{name}";
    if (n == 2) {
      m.get = graph_list;
      m.post = graph_create;
    } else {
      m.get = graph_get;
      m.del = graph_delete;
      params.push_back(s[2]);
    }
    // --- graph routes (issue 32) end ---
  } else if (n == 2 && is(0, "transaction")) {
    label = "/transaction/" + s[1];
    if (is(1, "begin"))
      m.post = transaction_begin;
    else if (is(1, "commit"))
      m.post = transaction_commit;
    else if (is(1, "rollback"))
      m.post = transaction_rollback;
    else if (is(1, "stats"))
      m.get = transaction_stats;
    else
      return false;
    // --- MCP routes (issue 21, handlers/mcp_*.cpp) begin ---
  } else if (n == 1 && is(0, "mcp")) {
    label = "/mcp";
    m.get = m.post = m.del = mcp_endpoint;
  } else if ((n == 2 || (n == 3 && is(2, "mcp"))) && is(0, ".well-known") &&
             is(1, "oauth-protected-resource")) {
    label = "/.well-known/oauth-protected-resource";
    m.get = mcp_resource_metadata;
    // --- MCP routes (issue 21) end ---
  } else if (n == 1 && is(0, "stats")) {
    label = "/stats";
    m.get = server_stats;
  } else if (n >= 2 && (is(0, "_api") || is(0, "_db"))) {
    // issue 22: the ArangoDB HTTP API subset (handlers/arango_routes.cpp)
    if (!match_arango_route(s, m, params, label))
      return false;
  } else if (n == 3 && is(0, "_admin") && is(1, "cluster") &&
             is(2, "topology")) {
    label = "/_admin/cluster/topology";
    m.get = cluster_topology;
  } else if (n == 2 && is(0, "api") && (is(1, "aql") || is(1, "query"))) {
    label = "/api/" + s[1];
    m.post = is(1, "aql") ? query_aql : query_go;
  } else if (n == 2 && is(0, "entities") && is(1, "batch")) {
    label = "/entities/batch";
    m.post = entity_batch;
  } else if (n == 2 && is(0, "entities")) {
    label = "/entities/{id}";
    m.get = get_entity;
    m.put = m.del = write_entity;
    params.push_back(s[1]);
  } else if (n == 1 && is(0, "changefeed")) {
    label = "/changefeed";
    m.get = changefeed_poll;
  } else if ((n == 2 && is(0, "v2") && is(1, "changes")) ||
             (n == 3 && is(0, "v1") && is(1, "changes") && is(2, "ws"))) {
    label = n == 2 ? "/v2/changes" : "/v1/changes/ws";
    m.get = changefeed_ws;
  } else if ((n == 2 && is(0, "changefeed") && is(1, "stream")) ||
             (n == 3 && is(0, "v1") && is(1, "changes") && is(2, "stream"))) {
    label = n == 2 ? "/changefeed/stream" : "/v1/changes/stream";
    m.get = changefeed_sse;
  } else if (n == 1 && is(0, "query")) {
    label = "/query";
    m.post = structured_query;
  } else if (n == 3 && is(0, "v2") && is(1, "query") && is(2, "stream")) {
    label = "/v2/query/stream";
    m.get = query_stream;
  } else if (n == 2 && is(0, "query") && is(1, "aql")) {
    label = "/query/aql";
    m.post = query_aql;
  } else if (n == 2 && is(0, "v1") && is(1, "query")) {
    label = "/v1/query";
    m.post = query_cursor_create;
  } else if (n == 4 && is(0, "v1") && is(1, "query") && is(2, "cursor")) {
    label = "/v1/query/cursor/{id}";
    m.get = query_cursor_next;
    m.del = query_cursor_delete;
    params.push_back(s[3]);
  } else if (n >= 2 && n <= 4 && is(0, "v2") && is(1, "jobs") &&
             (n < 4 || is(3, "result"))) {
    label = n == 2   ? "/v2/jobs"
            : n == 3 ? "/v2/jobs/{id}"
                     : "/v2/jobs/{id}/result";
    if (n == 2)
      m.get = m.post = jobs_forward;
    else if (n == 3)
      m.get = m.del = jobs_forward;
    else
      m.get = jobs_forward;
    params.assign(s.begin() + 2, s.end());
  } else if (n == 2 && is(0, "api") && is(1, "keys")) {
    label = "/api/keys";
    m.get = keys_list;
    m.post = keys_create;
  } else if (n == 3 && is(0, "api") && is(1, "keys")) {
    label = "/api/keys/{id}";
    m.get = keys_get;
    m.put = keys_update;
    m.del = keys_revoke;
    params.push_back(s[2]);
  } else if (n == 2 && is(0, "api") && is(1, "audit")) {
    label = "/api/audit";
    m.get = audit_list;
  } else if (n == 4 && is(0, "api") && is(1, "v1") && is(2, "admin")) {
    label = "/api/v1/admin/" + s[3];
    if (is(3, "status"))
      m.get = admin_status;
    else if (is(3, "backup"))
      m.get = admin_backup_get, m.post = admin_backup_start;
    else if (is(3, "reload"))
      m.post = admin_reload;
    else if (is(3, "drain"))
      m.post = admin_drain;
    else if (is(3, "users"))
      m.get = admin_users;
    else
      return false;
  } else if (n == 2 && is(0, "v2") && is(1, "documents")) {
    label = "/v2/documents";
    m.post = ndjson_bulk;
    // --- changefeed compatibility routes (ThemisDB) begin ---
  } else if (n == 2 && is(0, "changefeed") && is(1, "stats")) {
    label = "/changefeed/stats";
    m.get = changefeed_stats;
  } else if (n == 2 && is(0, "changefeed") && is(1, "retention")) {
    label = "/changefeed/retention";
    m.post = changefeed_retention;
  } else if (n == 3 && is(0, "changefeed") && is(1, "stream") && is(2, "ack")) {
    label = "/changefeed/stream/ack";
    m.post = changefeed_ack;
    // --- changefeed compatibility routes (ThemisDB) end ---
    // --- jobs/keys/audit compatibility routes (ThemisDB) begin ---
  } else if (n >= 2 && n <= 4 && is(0, "v1") && is(1, "jobs") &&
             (n < 4 || is(3, "result"))) {
    // themisd's own shapes of the job API (/v2/jobs has ThemisDB's)
    label = n == 2   ? "/v1/jobs"
            : n == 3 ? "/v1/jobs/{id}"
                     : "/v1/jobs/{id}/result";
    if (n == 2)
      m.get = m.post = jobs_forward;
    else if (n == 3)
      m.get = m.del = jobs_forward;
    else
      m.get = jobs_forward;
    params.assign(s.begin() + 2, s.end());
  } else if (n == 3 && is(0, "api") && is(1, "v1") && is(2, "keys")) {
    label = "/api/v1/keys";
    m.get = keys_list;
    m.post = keys_create;
  } else if (n == 4 && is(0, "api") && is(1, "v1") && is(2, "keys")) {
    label = "/api/v1/keys/{id}";
    m.get = keys_get;
    m.put = keys_update;
    m.del = keys_revoke;
    params.push_back(s[3]);
  } else if (n == 3 && is(0, "api") && is(1, "v1") && is(2, "audit")) {
    label = "/api/v1/audit";
    m.get = audit_list;
  } else if (n == 4 && is(0, "api") && is(1, "audit") && is(2, "export") &&
             is(3, "csv")) {
    label = "/api/audit/export/csv";
    m.get = audit_export_csv;
    // --- jobs/keys/audit compatibility routes (ThemisDB) end ---
  } else if (faults && n == 3 && is(0, "v1") && is(1, "_admin") &&
             is(2, "faults")) {
    label = "/v1/_admin/faults";
    m.get = faults_get;
    m.post = faults_set;
  } else if (debug && n == 3 && is(0, "v1") && is(1, "_debug") &&
             is(2, "crash")) {
    label = "/v1/_debug/crash";
    m.get = m.post = debug_crash;
  } else if (n == 4 && is(0, "api")) {
    // the Go SDK's /api/{model}/{collection}/{id}; last, so every /api
    // route above wins
    label = "/api/{model}/{collection}/{id}";
    m.get = m.put = m.del = sdk_document;
    params.assign(s.begin() + 1, s.end());
  } else {
    return false;
  }
  return true;
}

} // namespace themis
