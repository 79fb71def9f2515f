/// The core routes, the registry's assembly and the matcher the router
/// calls. Scopes are those of the auth gate's path rules before the
/// registry (route_registry_test checks every operation against them).

#include "handlers/route_table.hpp"

#include "handlers/breadth_handlers.hpp"
#include "handlers/function_handlers.hpp"
#include "handlers/import_export_handlers.hpp"
#include "handlers/request_validation.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/gateway_admin_routes.hpp"
#include "handlers/usb_admin_routes.hpp"
#include "handlers/mqtt_admin_routes.hpp"
#include "handlers/sql_routes.hpp"
#include "handlers/whoami_routes.hpp"
#include "handlers/oauth2_routes.hpp"
#include "handlers/saml_routes.hpp"

namespace themis {

namespace s = schemas;
using json = nlohmann::json;

void register_core_routes(route_registry& reg) {
  reg.add("/", {"health"})
    .any(health, "Server health (any method)")
    .scope("")
    .response(s::health());
  reg.add("/health", {"health"})
    .any(health, "Server health (any method, ThemisDB)")
    .scope("")
    .response(s::health());
  reg.add("/health/live", {"health"})
    .get(health_live, "Liveness")
    .scope("")
    .response(s::health());
  reg.add("/health/ready", {"health"})
    .get(health_ready, "Readiness")
    .scope("")
    .response(s::health())
    .errors({503});
  // its scope depends on auth.open_metrics: the gate decides
  reg.add("/metrics", {"health"})
    .get(metrics, "Prometheus metrics")
    .produces("text/plain");
  reg.add("/api/v1/admin/log-level", {"admin"})
    .get(log_level_get, "Server log level")
    .scope("authenticated")
    .put(log_level_put, "Set the log level and the access log switch")
    .scope("authenticated")
    .body(s::object(), {{"level", "info"}});

  // --- collections and documents (docs/rest-api.md) ---
  reg.add("/v1/collections", {"collections"})
    .get(list_collections, "List collections")
    .scope("data:read")
    .response(s::collection_list())
    // no surrogate key names a new collection: kept briefly (caching.md)
    .cache(cache_policy::shared(0, 5))
    .post(create_collection, "Create a collection")
    .scope("data:write")
    .body(s::collection_create(), {{"name", "contract_c"}})
    .response(s::collection_info(), 201)
    .errors({400, 409});
  reg.add("/v1/collections/{c}", {"collections"})
    .get(get_collection, "Get a collection")
    .scope("data:read")
    .response(s::collection_info())
    .errors({404})
    .cache(cache_policy::shared(0, 60).stale(10, 300).keyed_collection())
    .del(drop_collection, "Drop a collection")
    .scope("data:write")
    .errors({404});
  reg.add("/v1/collections/{c}/documents", {"documents"})
    .get(list_documents, "List documents in key order")
    .scope("data:read")
    .query(s::list_documents_query())
    .errors({400, 404})
    .cache(cache_policy::shared(0, 60).stale(10, 300).keyed_collection())
    .post(insert_document, "Insert a document")
    .scope("data:write")
    .body(s::object(), {{"_key", "k1"}, {"a", 1}})
    .response(s::document(), 201)
    .errors({400, 404, 409})
    .patch(documents_batch_patch, "Patch documents in one atomic write")
    .scope("data:write")
    .body(s::document_patches(),
          json::array({{{"_key", "k1"}, {"patch", {{"b", 2}}}}}))
    .response(s::key_rev_list())
    .errors({400, 404, 409, 412, 422})
    .rate_group("bulk");
  reg.add("/v1/collections/{c}/documents/{key}", {"documents"})
    .get(get_document, "Get a document")
    .scope("data:read")
    .response(s::document())
    .errors({304, 404})
    .cache(cache_policy::shared(0, 300).stale(10, 300).keyed_document())
    .put(write_document, "Create or replace a document")
    .scope("data:write")
    .body(s::object(), {{"a", 2}})
    .response(s::document())
    .errors({201, 400, 404, 412})
    .patch(patch_document, "Patch a document (RFC 7396 or RFC 6902)")
    .describe("application/merge-patch+json (or application/json): JSON "
              "Merge Patch; application/json-patch+json: JSON Patch, all "
              "operations or none (a failed test: 409).")
    .scope("data:write")
    .body(s::object(), {{"b", 3}})
    .also_consumes("application/merge-patch+json", s::object())
    .also_consumes("application/json-patch+json", s::json_patch())
    .response(s::document())
    .errors({400, 404, 409, 412, 415, 422})
    .del(write_document, "Delete a document")
    .scope("data:write")
    .errors({404, 412});

  // issue 22: bulk import and streamed export (import_export_handlers.hpp)
  reg.add("/v1/collections/{c}/import", {"collections"})
    .post(collection_import, "Bulk import: NDJSON, JSON array or CSV")
    .scope("data:write")
    .errors({400, 404, 415});
  reg.add("/v1/collections/{c}/export", {"collections"})
    .get(collection_export, "Streamed export: NDJSON, CSV or JSON")
    .scope("data:read")
    .produces("application/x-ndjson")
    .errors({400, 404});

  // --- queries (docs/aql.md) ---
  reg.add("/query/aql", {"query"})
    .post(query_aql, "Run AQL, the whole result (ThemisDB)")
    .scope("query")
    .body(s::aql_request(), {{"query", "RETURN 1"}})
    .response(s::aql_result())
    .errors({400, 404, 409, 504});
  reg.add("/v1/query", {"query"})
    .post(query_cursor_create, "Run AQL, first batch and a cursor")
    .scope("query")
    .body(s::cursor_request(), {{"query", "RETURN 1"}})
    .response(s::cursor_page(), 201)
    .errors({400, 404, 409, 504});
  reg.add("/v1/query/cursor/{id}", {"query"})
    .get(query_cursor_next, "Next batch of a cursor")
    .scope("query")
    .response(s::cursor_page())
    .errors({404})
    .del(query_cursor_delete, "Delete a cursor")
    .scope("query")
    .errors({404});

  // --- jobs (docs/jobs.md): /v2 is ThemisDB's shape, /v1 themisd's ---
  for (auto v : {"/v1", "/v2"}) {
    std::string b = std::string(v) + "/jobs";
    reg.add(b, {"jobs"})
      .get(jobs_forward, "List jobs")
      .scope("jobs")
      .post(jobs_forward, "Submit a job")
      .scope("jobs")
      .body(s::object(), {{"type", "aql"}, {"query", "RETURN 1"}})
      .errors({201, 202, 400, 404, 409});
    reg.add(b + "/{id}", {"jobs"})
      .get(jobs_forward, "A job's state")
      .scope("jobs")
      .errors({404})
      .del(jobs_forward, "Cancel or remove a job")
      .scope("jobs")
      .errors({404});
    reg.add(b + "/{id}/result", {"jobs"})
      .get(jobs_forward, "A job's result")
      .scope("jobs")
      .errors({404, 409});
  }

  // --- keys and audit (issue 9): the handlers check admin themselves ---
  for (std::string b : {"/api/keys", "/api/v1/keys"}) {
    reg.add(b, {"keys"})
      .get(keys_list, "List API keys")
      .scope("authenticated")
      .errors({403})
      .post(keys_create, "Create an API key")
      .scope("authenticated")
      .body(s::key_create(), {{"name", "k"}, {"scopes", {"data:read"}}})
      .errors({201, 400, 403});
    reg.add(b + "/{id}", {"keys"})
      .get(keys_get, "Get an API key")
      .scope("authenticated")
      .errors({403, 404})
      .put(keys_update, "Rename or re-scope an API key")
      .scope("authenticated")
      .body(s::key_update(), {{"name", "k2"}})
      .errors({400, 403, 404})
      .del(keys_revoke, "Revoke an API key")
      .scope("authenticated")
      .errors({403, 404});
  }
  reg.add("/api/audit", {"audit"})
    .get(audit_list, "Audit records (ThemisDB)")
    .scope("authenticated")
    .errors({400, 403});
  reg.add("/api/v1/audit", {"audit"})
    .get(audit_list, "Audit records")
    .scope("authenticated")
    .errors({400, 403});
  reg.add("/api/audit/export/csv", {"audit"})
    .get(audit_export_csv, "Audit records as CSV (ThemisDB)")
    .scope("authenticated")
    .produces("text/csv")
    .errors({400, 403});

  // --- admin (issue 28): global admin checked by the handlers ---
  reg.add("/api/v1/admin/status", {"admin"})
    .get(admin_status, "Server status")
    .scope("authenticated")
    .errors({403});
  reg.add("/api/v1/admin/backup", {"admin"})
    .get(admin_backup_get, "Backup state")
    .scope("authenticated")
    .errors({403})
    .post(admin_backup_start, "Start a backup")
    .scope("authenticated")
    .body(s::object(), json::object())
    .errors({400, 403, 409});
  reg.add("/api/v1/admin/reload", {"admin"})
    .post(admin_reload, "Reload the configuration")
    .scope("authenticated")
    .errors({403});
  reg.add("/api/v1/admin/drain", {"admin"})
    .post(admin_drain, "Drain the server")
    .scope("authenticated")
    .errors({403});
  reg.add("/api/v1/admin/users", {"admin"})
    .get(admin_users, "Users")
    .scope("authenticated")
    .errors({403});
  reg.add("/v1/_admin/faults", {"admin"})
    .when(route_entry::gate::faults)
    .undocumented()
    .get(faults_get, "Fault injection state")
    .scope("admin")
    .post(faults_set, "Set fault injection")
    .scope("admin");
  reg.add("/v1/_debug/crash", {"admin"})
    .when(route_entry::gate::debug)
    .undocumented()
    .get(debug_crash, "Crash a handler (debug)")
    .scope("admin")
    .post(debug_crash, "Crash a handler (debug)")
    .scope("admin");
  // the versioned namespace: nothing here falls through to the Go SDK's
  // /api/{model}/{collection}/{id}
  reg.reserve("/api/v1/*");
}

const route_registry& route_registry::global() {
  static const route_registry* reg = [] {
    auto r = new route_registry();
    register_core_routes(*r);
    register_schema_routes(*r);
    register_compat_routes(*r);
    register_extension_routes(*r);
    register_arango_routes(*r);
    register_breadth_routes(*r);
    register_function_routes(*r); // issue 27
    register_sql_routes(*r);        // issue 29: SQL over HTTP
    register_mqtt_admin_routes(*r); // issue 29: GET /api/v1/mqtt
    register_whoami_routes(*r);     // issue 29: GET /api/v1/whoami
    register_oauth2_routes(*r);     // issue 24: OAuth2 / OIDC provider
    register_saml_routes(*r);       // issue 24: SAML 2.0 SP
    register_usb_admin_routes(*r);  // issue 24: USB admin keys
    register_gateway_admin_routes(*r); // issue 23: gateway upstreams
    register_meta_routes(*r);
    assign_rate_groups(*r); // before the twins, so they inherit it
    add_version_twins(*r);
    r->finish();
    compile_route_schemas(*r);
    return r;
  }();
  return *reg;
}

bool match_route(const std::vector<std::string>& segs, bool debug, bool faults,
                 method_map& m, std::vector<std::string>& params,
                 std::string& label) {
  auto r = route_registry::global().match(segs, debug, faults, params);
  if (!r || r->reserved)
    return false;
  label = r->label;
  for (auto& o : r->ops) {
    auto& slot = o.method == "GET"      ? m.get
                 : o.method == "POST"   ? m.post
                 : o.method == "PUT"    ? m.put
                 : o.method == "PATCH"  ? m.patch
                 : o.method == "DELETE" ? m.del
                                        : m.any;
    slot = o.fn;
  }
  // ThemisDB's / and /health answer GET through their any-method handler
  if (m.any && !m.get)
    m.get = m.any;
  return true;
}

} // namespace themis
