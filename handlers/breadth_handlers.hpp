#pragma once
/// The breadth endpoints of issue 22 (docs/rest-api.md, "Documents in
/// batches", "Collection properties and statistics", "Validating AQL",
/// "Admin configuration"), registered in route_table_breadth.cpp.

namespace themis {

struct route_context;

/// POST /v1/collections/{c}/documents:batchGet — {"keys": [...]}.
void documents_batch_get(route_context& ctx);
/// PATCH /v1/collections/{c}/documents — [{"_key", "patch", "_rev"?}]
/// in one atomic write batch.
void documents_batch_patch(route_context& ctx);
/// PATCH /v1/collections/{c}/documents/{key}: JSON Patch (RFC 6902) for
/// application/json-patch+json, JSON Merge Patch (RFC 7396) otherwise.
void patch_document(route_context& ctx);

/// GET /v1/collections/{c}/properties, /statistics; PUT .../truncate.
void collection_properties_get(route_context& ctx);
void collection_statistics_get(route_context& ctx);
void collection_truncate(route_context& ctx);

/// POST /v1/query/validate: parse AQL, check bind parameters and
/// collections, run nothing.
void query_validate(route_context& ctx);
/// POST /v1/query/explain: the plan of an AQL query, run nothing.
void query_explain(route_context& ctx);

/// GET /api/v1/admin/config: the effective configuration, secrets
/// redacted (global admin).
void admin_config(route_context& ctx);

} // namespace themis
