/// ThemisDB's own paths (docs/themisdb-compatibility.md), answered in its
/// shapes so its SDKs work unchanged.

#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/route_table.hpp"

namespace themis {

namespace s = schemas;
using json = nlohmann::json;

void register_compat_routes(route_registry& reg) {
  reg.add("/entities", {"entities"})
    .post(post_entity, "Create an entity (key in the body)")
    .scope("data:write")
    .body(s::object(), {{"table", "contract_t"}, {"pk", "p1"}, {"blob", "{}"}})
    .errors({400, 409});
  reg.add("/entities/batch", {"entities"})
    .post(entity_batch, "Batch of entity writes")
    .scope("data:write")
    .body(s::object(), {{"entities", json::array()}})
    .errors({400});
  reg.add("/entities/{id}", {"entities"})
    .get(get_entity, "Get an entity (table:pk)")
    .scope("data:read")
    .errors({400, 404})
    .put(write_entity, "Create or replace an entity")
    .scope("data:write")
    .body(s::object(), {{"blob", "{\"a\":1}"}})
    .errors({201, 400, 412})
    .del(write_entity, "Delete an entity")
    .scope("data:write")
    .errors({400, 404});
  reg.add("/v2/documents", {"entities"})
    .post(ndjson_bulk, "NDJSON bulk write")
    .scope("data:write")
    .consumes("application/x-ndjson")
    .errors({400, 415});
  // the Go SDK's paths
  reg.add("/api/{model}/{collection}/{id}", {"entities"})
    .get(sdk_document, "Get a document (Go SDK)")
    .scope("data:read")
    .errors({400, 404})
    .put(sdk_document, "Write a document (Go SDK)")
    .scope("data:write")
    .body(nullptr, {{"a", 1}}) // any JSON value, as the Go SDK marshals it
    .errors({201, 400})
    .del(sdk_document, "Delete a document (Go SDK)")
    .scope("data:write")
    .errors({400, 404});
  reg.add("/api/aql", {"query"})
    .post(query_aql, "Run AQL (Go SDK)")
    .scope("query")
    .body(s::aql_request(), {{"query", "RETURN 1"}})
    .response(s::aql_result())
    .errors({400, 404});
  reg.add("/api/query", {"query"})
    .post(query_go, "Run AQL, rows in data (Go SDK)")
    .scope("query")
    .body(s::aql_request(), {{"query", "RETURN 1"}})
    .errors({400, 404});
  reg.add("/query", {"query"})
    .post(structured_query, "Structured query (ThemisDB)")
    .scope("query")
    .body(s::structured_query(), {{"table", "contract_t"}})
    .errors({400, 404});
  reg.add("/v2/query/stream", {"query"})
    .get(query_stream, "AQL result as Server-Sent Events")
    .scope("query")
    .query(s::object_of(
      {{"query", s::type("string")}, {"params", s::type("string")}}, {"query"}))
    .produces("text/event-stream")
    .errors({400});

  struct tx_route {
    const char* path;
    handler_fn fn;
    const char* summary;
  };
  for (auto [p, fn, what] :
       {tx_route{"begin", transaction_begin, "Begin a transaction"},
        tx_route{"commit", transaction_commit, "Commit a transaction"},
        tx_route{"rollback", transaction_rollback, "Roll a transaction back"}})
    reg.add(std::string("/transaction/") + p, {"transactions"})
      .post(fn, what)
      .scope("data:read")
      .body(s::object(), json::object())
      .errors({400, 404, 409});
  reg.add("/transaction/stats", {"transactions"})
    .get(transaction_stats, "Transaction statistics")
    .scope("data:read")
    .errors({404});

  // --- changefeed (docs/changefeed.md) ---
  reg.add("/changefeed", {"changefeed"})
    .get(changefeed_poll, "Long-poll the changefeed")
    .scope("cdc:read")
    .errors({400});
  reg.add("/changefeed/stream", {"changefeed"})
    .get(changefeed_sse, "Changefeed as Server-Sent Events (ThemisDB)")
    .scope("cdc:read")
    .produces("text/event-stream")
    .errors({400});
  reg.add("/v1/changes/stream", {"changefeed"})
    .get(changefeed_sse, "Changefeed as Server-Sent Events")
    .scope("cdc:read")
    .produces("text/event-stream")
    .errors({400});
  reg.add("/v2/changes", {"changefeed"})
    .get(changefeed_ws, "Changefeed over WebSocket (ThemisDB)")
    .scope("cdc:read")
    .errors({400, 426});
  reg.add("/v1/changes/ws", {"changefeed"})
    .get(changefeed_ws, "Changefeed over WebSocket")
    .scope("cdc:read")
    .errors({400, 426});
  reg.add("/changefeed/stats", {"changefeed"})
    .get(changefeed_stats, "Changefeed statistics")
    .scope("cdc:read");
  reg.add("/changefeed/retention", {"changefeed"})
    .post(changefeed_retention, "Set the changefeed retention")
    .scope("cdc:read")
    .body(s::object(), json::object())
    .errors({400, 403});
  reg.add("/changefeed/stream/ack", {"changefeed"})
    .post(changefeed_ack, "Acknowledge a consumer's position")
    .scope("cdc:read")
    .body(s::object(), {{"consumer_id", "c1"}, {"sequence", 0}})
    .errors({400});

  reg.add("/stats", {"admin"})
    .get(server_stats, "Server statistics (ThemisDB)")
    .scope("admin");
  reg.add("/_admin/cluster/topology", {"admin"})
    .get(cluster_topology, "Cluster topology (one node)")
    .scope("authenticated");
}

} // namespace themis
