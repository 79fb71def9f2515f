#pragma once
/// Graph traversal over edge documents (`_from`/`_to` handles
/// "collection/key"), independent of where edges come from: the running
/// query supplies a graph_source reading the store (graph_source_sql.hpp),
/// the unit tests an in-memory graph. Semantics follow ArangoDB's AQL
/// traversals (docs/graph.md); every traversal is bounded by a depth limit
/// and a cap on the path states it creates, so a traversal of a dense graph
/// stops with an error instead of exhausting memory.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/aql/ast.hpp"

namespace themis::aql {

/// Deepest traversal a query may ask for (parse- and run-time check).
inline constexpr uint64_t max_traversal_depth = 100;
/// Path states (queued or expanded) one traversal or path search may
/// create before it fails: bounds its memory (~100 bytes a state plus the
/// edge and vertex documents it holds).
inline constexpr uint64_t default_max_paths = 1'000'000;

/// Splits "collection/key"; false when malformed (bad collection name or
/// key, no slash).
bool split_handle(std::string_view handle, std::string& collection,
                  std::string& key);

/// Why a document's `_from`/`_to` are not valid edge handles ("" when the
/// document has neither, or both are valid). A document with only one of
/// them is malformed.
std::string edge_document_error(const json& doc);

struct graph_edge {
  std::string id; ///< "collection/key": uniqueness and identity
  std::string from, to;
  json doc; ///< the edge document, with _id
};
using edge_ptr = std::shared_ptr<const graph_edge>;

class graph_source {
public:
  virtual ~graph_source() = default;
  /// Appends the edges of `vertex` in direction `dir` (ANY: both, a
  /// self-loop once) in a stable order.
  virtual void edges(const std::string& vertex, edge_direction dir,
                     std::vector<edge_ptr>& out) = 0;
  /// The vertex document (with _id), or null when there is none.
  virtual json vertex(const std::string& handle) = 0;
  /// Called every few steps: throws to stop (cancel, time limit).
  virtual void tick() {}
};

/// The vertex an edge leads to from `vertex` in direction `dir`.
const std::string& other_end(const graph_edge& e, const std::string& vertex,
                             edge_direction dir);

enum class traversal_order { dfs, bfs, weighted };
enum class uniqueness { none, path, global };

struct traversal_options {
  traversal_order order = traversal_order::dfs; ///< ArangoDB's default
  uniqueness unique_vertices = uniqueness::none;
  uniqueness unique_edges = uniqueness::path;
  std::string weight_attribute; ///< empty: every edge weighs default_weight
  double default_weight = 1;
  uint64_t max_paths = default_max_paths;
  /// themisd's own `vertexStubs: true`: a vertex without a document is
  /// {"_id": handle} instead of ArangoDB's null (POST /graph/traverse lists
  /// vertices that are only edge ends).
  bool vertex_stubs = false;
};

/// OPTIONS {order, bfs, uniqueVertices, uniqueEdges, weightAttribute,
/// defaultWeight, maxPaths}; throws aql_error(semantic) on bad values.
/// `maxPaths` may only lower the server's cap.
traversal_options parse_traversal_options(const json& opts);

/// An edge's weight under the options; throws aql_error(runtime) for a
/// negative weight.
double edge_weight(const graph_edge& e, const traversal_options& o);

/// One path found by a traversal or path search.
struct graph_path {
  std::vector<const std::string*> vertex_ids;
  std::vector<const json*> vertices; ///< documents (null json: missing)
  std::vector<const graph_edge*> edges;
  std::vector<double> weights; ///< cumulated, weighted traversals only
  double weight = 0;
  /// {vertices, edges[, weights]} as AQL's path variable.
  json to_json(bool with_weights) const;
};

/// A traversal from one start vertex. `emit` gets each path whose depth is
/// in [min, max] (its last vertex and edge are the traversal's v and e);
/// it returns false to stop. `prune` (may be empty) returns true to keep a
/// path from being extended (the path itself is still emitted).
class traverser {
public:
  using visit_fn = std::function<bool(const graph_path&)>;

  traverser(graph_source& source, edge_direction dir, uint64_t min_depth,
            uint64_t max_depth, const traversal_options& opts);

  /// Returns false if `emit` stopped it. Throws aql_error(limit) past
  /// max_paths.
  bool run(const std::string& start, const visit_fn& emit,
           const visit_fn& prune);

private:
  struct node {
    int64_t parent;
    uint32_t vertex;
    uint32_t depth;
    double weight;
    edge_ptr edge;
  };

  uint32_t vertex_index(const std::string& handle);
  const json& vertex_doc(uint32_t v);
  void build_path(int64_t n, graph_path& p);
  bool on_path(int64_t n, uint32_t vertex, const graph_edge* e) const;

  graph_source& source_;
  edge_direction dir_;
  uint64_t min_, max_;
  traversal_options opts_;
  std::vector<node> nodes_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> handles_;
  std::vector<json> docs_;
  std::vector<bool> loaded_;
};

} // namespace themis::aql
