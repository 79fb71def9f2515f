#pragma once
/// Everything one handler invocation needs, bundled so handler signatures
/// stay short: the request, path parameters, the environment, the write
/// port and the responder (call exactly once).

#include <functional>
#include <string>
#include <vector>

#include "handlers/handler_env.hpp"

namespace themis {

struct route_context {
  handler_env& env;
  const api_request& req;
  std::vector<std::string> params; ///< path parameters in order
  write_port& writer;
  change_notifier& notifier;
  stream_port& streams;
  work_port& work;
  service_port& services;
  responder respond;
};

/// POST /query/aql (whole result), POST /v1/query (first batch and a
/// cursor), GET/DELETE /v1/query/cursor/{id}.
void query_aql(route_context& ctx);
void query_cursor_create(route_context& ctx);
void query_cursor_next(route_context& ctx);
void query_cursor_delete(route_context& ctx);

/// /v2/jobs[/{id}[/result]]: forwarded to the job manager.
void jobs_forward(route_context& ctx);

/// GET/POST /v1/collections, GET/DELETE /v1/collections/{c}, documents.
void list_collections(route_context& ctx);
void create_collection(route_context& ctx);
void get_collection(route_context& ctx);
void drop_collection(route_context& ctx);
void list_documents(route_context& ctx);
void insert_document(route_context& ctx);
void get_document(route_context& ctx);
void write_document(route_context& ctx); ///< PUT, PATCH, DELETE

/// ThemisDB: /entities/{table:pk}, /entities/batch, /v2/documents.
void get_entity(route_context& ctx);
void write_entity(route_context& ctx); ///< PUT, DELETE
void entity_batch(route_context& ctx);
void post_entity(route_context& ctx);  ///< POST /entities (key in the body)
void sdk_document(route_context& ctx); ///< /api/{model}/{collection}/{id}
/// POST /api/query: the Go SDK's AQL (rows in `data`).
void query_go(route_context& ctx);
/// POST /query: ThemisDB's structured query ({"table","predicates","range",
/// "order_by","return"}) run as AQL over bind values.
void structured_query(route_context& ctx);
/// GET /v2/query/stream?query=&params=: an AQL result as Server-Sent Events.
void query_stream(route_context& ctx);
/// ThemisDB's HTTP transactions: /transaction/begin|commit|rollback|stats.
void transaction_begin(route_context& ctx);
void transaction_commit(route_context& ctx);
void transaction_rollback(route_context& ctx);
void transaction_stats(route_context& ctx);
/// GET /stats and /_admin/cluster/topology (ThemisDB).
void server_stats(route_context& ctx);
void cluster_topology(route_context& ctx);
void ndjson_bulk(route_context& ctx);

/// GET /changefeed: long-poll over the change log (ThemisDB shape).
void changefeed_poll(route_context& ctx);
/// GET /changefeed/stream, /v1/changes/stream: Server-Sent Events.
void changefeed_sse(route_context& ctx);
/// GET /v2/changes, /v1/changes/ws: WebSocket changefeed.
void changefeed_ws(route_context& ctx);

/// /api/keys[/{id}] (admin), /api/audit (admin): issue 9.
void keys_create(route_context& ctx);
void keys_list(route_context& ctx);
void keys_get(route_context& ctx);
void keys_revoke(route_context& ctx);
void audit_list(route_context& ctx);
/// Appends an audit record for this request's principal (no-op without
/// an audit log).
void audit_event_of(route_context& ctx, std::string action, std::string outcome,
                    std::string detail);
/// The same record, appended (outcome ok) when the returned function is
/// called: for actions whose success is known after the write commits.
std::function<void()> audit_on_success(route_context& ctx, std::string action,
                                       std::string detail);

/// The server's own settings need the admin scope of the global namespace:
/// true, or a 403 (RFC 6750 insufficient_scope) has been sent.
bool require_global_admin(route_context& ctx);

/// /api/v1/admin/status, backup (GET, POST), reload, drain: issue 28.
void admin_status(route_context& ctx);
void admin_backup_get(route_context& ctx);
void admin_backup_start(route_context& ctx);
void admin_reload(route_context& ctx);
void admin_drain(route_context& ctx);
void admin_users(route_context& ctx);

/// /health, /health/live, /health/ready, /metrics, debug crash.
void health(route_context& ctx);
void health_live(route_context& ctx);
void health_ready(route_context& ctx);
void metrics(route_context& ctx);
void debug_crash(route_context& ctx);
/// GET/POST /v1/_admin/faults (debug.fault_injection only).
void faults_get(route_context& ctx);
void faults_set(route_context& ctx);
/// GET/PUT /api/v1/admin/log-level: the server log's level and the
/// access log switch at run time (admin scope).
void log_level_get(route_context& ctx);
void log_level_put(route_context& ctx);

// --- changefeed compatibility handlers (ThemisDB) begin ---
/// GET /changefeed/stats, POST /changefeed/retention (cdc:admin of the
/// global namespace), POST /changefeed/stream/ack (consumer_id).
void changefeed_stats(route_context& ctx);
void changefeed_retention(route_context& ctx);
void changefeed_ack(route_context& ctx);
// --- changefeed compatibility handlers (ThemisDB) end ---
// --- jobs/keys/audit compatibility handlers (ThemisDB) begin ---
/// PUT /api/keys/{id}, /api/v1/keys/{id}: rename, replace the scopes.
void keys_update(route_context& ctx);
/// GET /api/audit/export/csv: ThemisDB's 12-column CSV export.
void audit_export_csv(route_context& ctx);
// --- jobs/keys/audit compatibility handlers (ThemisDB) end ---

} // namespace themis
