#pragma once
/// Named graphs (issue 32, docs/graph.md): a graph is a name and a list of
/// edge definitions `{collection, from: [...], to: [...]}`, as ArangoDB's
/// /_api/gharial keeps them. Stored as documents of the collection
/// `_graphs` (per tenant, like ArangoDB's system collection), key = name,
/// so they are written by the store writer, in the changefeed and in
/// backups. `GRAPH 'name'` in AQL traverses the edge collections of its
/// definitions. A stored definition is read as untrusted input (anyone
/// who may write `_graphs` may write anything there).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::aql {

using json = nlohmann::json;

/// The collection that holds graph definitions.
inline constexpr const char* graphs_collection = "_graphs";
/// Bounds on one definition (a traversal looks edges up per collection).
inline constexpr size_t max_edge_definitions = 32;
inline constexpr size_t max_vertex_collections = 64;

/// A client's graph definition (ArangoDB's `edgeDefinitions` /
/// `orphanCollections`, or `edge_definitions` / `orphan_collections`) as
/// the stored document `{_key, name, edgeDefinitions, orphanCollections}`.
/// False with `error` set when the name, a collection name, the shape or
/// a bound is wrong, or an edge collection is defined twice.
bool normalize_graph_definition(const json& body, json& out,
                                std::string& error);

/// The edge collections of a stored definition, in definition order,
/// each once. False with `error` when the document is not a valid
/// definition.
bool graph_edge_collections(const json& stored, std::vector<std::string>& out,
                            std::string& error);

/// ArangoDB's message for error 1924.
std::string graph_not_found_message(const std::string& name);

} // namespace themis::aql
