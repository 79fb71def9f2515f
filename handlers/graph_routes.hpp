#pragma once
/// Graph routes (issue 32, docs/graph.md) in ThemisDB's shapes:
/// POST /graph/edge (an edge document with _from/_to handles),
/// DELETE /graph/edge/{key}, POST /graph/traverse (BFS from a vertex,
/// run as an AQL traversal on the query executor).

#include "handlers/route_context.hpp"

namespace themis {

void graph_edge_create(route_context& ctx); ///< POST /graph/edge
void graph_edge_delete(route_context& ctx); ///< DELETE /graph/edge/{key}
void graph_traverse(route_context& ctx);    ///< POST /graph/traverse

/// Named graphs (graph_named_handlers.cpp): GET/POST /v1/graphs,
/// GET/DELETE /v1/graphs/{name}.
void graph_list(route_context& ctx);
void graph_create(route_context& ctx);
void graph_get(route_context& ctx);
void graph_delete(route_context& ctx);

} // namespace themis
