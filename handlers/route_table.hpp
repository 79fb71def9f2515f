#pragma once
/// The route table: which handler serves a method on a path. The routes
/// themselves are data in the handler registry (handlers/route_registry.hpp,
/// issue 22); each area registers its own in a register_*_routes function
/// listed in route_table.cpp's route_registry::global().

#include <string>
#include <vector>

namespace themis {

struct route_context;
class route_registry;

using handler_fn = void (*)(route_context&);

struct method_map {
  handler_fn get = nullptr, post = nullptr, put = nullptr, patch = nullptr,
             del = nullptr;
  /// ThemisDB's /health answers every method (its probes use HEAD and
  /// POST too); set for such routes.
  handler_fn any = nullptr;
};

/// Finds the handlers for a path split into segments; fills path
/// parameters and the route's low-cardinality label. `debug` and `faults`
/// switch on the debug crash and fault-injection routes.
bool match_route(const std::vector<std::string>& segments, bool debug,
                 bool faults, method_map& m, std::vector<std::string>& params,
                 std::string& label);

// --- registration, one function per area (to add routes: add them to the
// area's function, or add a function here and call it in global()) ---
/// Health, metrics, collections and documents, queries, jobs, keys, audit,
/// admin, debug (route_table.cpp).
void register_core_routes(route_registry& reg);
/// ThemisDB's own paths: entities, transactions, changefeed, stats, the Go
/// SDK's paths (route_table_compat.cpp).
void register_compat_routes(route_registry& reg);
/// Search and vectors, graphs, GraphQL, MCP (route_table_ext.cpp).
void register_extension_routes(route_registry& reg);
/// The ArangoDB HTTP API subset, /_api and /_db/{db}/_api
/// (route_table_arango.cpp).
void register_arango_routes(route_registry& reg);
/// Documents in batches, collection properties/statistics/truncate, AQL
/// validate and explain, admin config (route_table_breadth.cpp).
void register_breadth_routes(route_registry& reg);
/// Rate groups by area for operations registered without one: import and
/// export "bulk", queries "query", admin/keys/audit "admin" (issue 22).
void assign_rate_groups(route_registry& reg);
/// /openapi.json, /docs, /api/v1/version (openapi_handlers.cpp).
void register_meta_routes(route_registry& reg);
/// Per-collection JSON Schemas, /api/v1/collections/{c}/schema
/// (collection_schema_handlers.cpp).
void register_schema_routes(route_registry& reg);
/// The /api/v1 versioned twins and the deprecation of /v1 (route_versions.cpp).
void add_version_twins(route_registry& reg);

} // namespace themis
