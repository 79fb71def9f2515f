#pragma once
/// Routes of the ArangoDB HTTP API subset (issue 22): /_api/… and
/// /_db/{name}/_api/…, matched here so the shared route table only
/// forwards to this one matcher. Every handler's params[0] is the database
/// name of the path ("_system" without a /_db/ prefix); arango_enter
/// (handlers/arango_util.hpp) maps it to a tenant.

#include <string>
#include <vector>

#include "handlers/route_table.hpp"

namespace themis {

struct route_context;

/// Fills `m`, `params` and `label` for an ArangoDB path; false if `s` is
/// not one of the paths served.
bool match_arango_route(const std::vector<std::string>& s, method_map& m,
                        std::vector<std::string>& params, std::string& label);

/// GET /_api/version, GET /_api/database/current.
void arango_version(route_context& ctx);
void arango_database_current(route_context& ctx);
/// POST /_api/cursor; POST|PUT /_api/cursor/{id}; DELETE /_api/cursor/{id}.
void arango_cursor_create(route_context& ctx);
void arango_cursor_next(route_context& ctx);
void arango_cursor_delete(route_context& ctx);
/// POST /_api/document/{c} (one or an array), PUT …?onlyget=true.
void arango_document_insert(route_context& ctx);
void arango_document_lookup(route_context& ctx);
/// GET|HEAD, PUT, PATCH, DELETE /_api/document/{c}/{key}.
void arango_document_get(route_context& ctx);
void arango_document_write(route_context& ctx);
/// /_api/collection[/{c}[/properties|count|figures|truncate]].
void arango_collection_list(route_context& ctx);
void arango_collection_create(route_context& ctx);
void arango_collection_get(route_context& ctx);
void arango_collection_drop(route_context& ctx);
void arango_collection_sub(route_context& ctx);
/// /_api/index?collection=…, /_api/index/{c}/{id}.
void arango_index_list(route_context& ctx);
void arango_index_create(route_context& ctx);
void arango_index_get(route_context& ctx);
void arango_index_drop(route_context& ctx);
/// POST /_api/import?collection=…&type=documents|list|auto.
void arango_import(route_context& ctx);
/// Any other /_api path: 404 errorNum 404 in ArangoDB's shape.
void arango_unknown(route_context& ctx);

} // namespace themis
