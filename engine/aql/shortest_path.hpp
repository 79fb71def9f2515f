#pragma once
/// Path searches between two vertices: SHORTEST_PATH, K_SHORTEST_PATHS and
/// ALL_SHORTEST_PATHS (docs/graph.md). One algorithm serves all three: a
/// backward Dijkstra from the target gives every vertex its exact distance
/// to the target, then an A* search over simple paths from the start,
/// ordered by (weight so far + that distance), finds the paths in
/// non-decreasing weight: the first is a shortest path, the next ones are
/// the k shortest simple paths, and ALL_SHORTEST_PATHS stops at the first
/// heavier one. Both phases count their states against max_paths.

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/aql/traversal.hpp"

namespace themis::aql {

class path_search {
public:
  /// `opts`: weightAttribute, defaultWeight and maxPaths apply; with
  /// `shortest_only` every path heavier than the first is skipped
  /// (ALL_SHORTEST_PATHS).
  /// `first_only` (SHORTEST_PATH): only the first path is wanted, so the
  /// backward search stops after `backward_budget` vertices (its radius
  /// still bounds the rest from below) and the forward search expands
  /// each vertex once (A* over the graph, not over paths): about a
  /// bidirectional search's work instead of the whole backward ball.
  path_search(graph_source& source, edge_direction dir,
              const traversal_options& opts, bool shortest_only,
              bool first_only = false);
  /// first_only's backward budget (tests lower it).
  void set_backward_budget(uint32_t n) { backward_budget_ = n; }

  /// Starts a search; throws aql_error(limit) past max_paths.
  void start(const std::string& from, const std::string& to);
  /// The next path in non-decreasing weight order (vertex documents loaded
  /// through the source); false when there is none left.
  bool next(graph_path& out);

private:
  struct node {
    int64_t parent;
    uint32_t vertex;
    double weight;
    edge_ptr edge;
  };

  uint32_t vertex_index(const std::string& handle);
  void count_state();
  bool on_path(int64_t n, uint32_t vertex) const;
  /// A lower bound of the distance from `v` to the target (A*'s
  /// heuristic): exact where the backward search settled `v`.
  double estimate(uint32_t v) const;

  graph_source& source_;
  edge_direction dir_;
  traversal_options opts_;
  bool shortest_only_;
  bool first_only_;
  uint32_t backward_budget_ = 2048;
  std::vector<bool> closed_; ///< first_only: vertices expanded
  uint64_t states_ = 0;
  uint32_t target_ = 0;
  double best_ = -1;     ///< weight of the first path found
  double radius_ = 0;    ///< the backward search's last settled distance
  bool complete_ = true; ///< it settled every vertex that reaches the target
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> handles_;
  std::vector<double> to_target_; ///< < 0: cannot reach the target
  std::vector<node> nodes_;
  std::vector<std::pair<double, int64_t>> open_; ///< min-heap on f
  std::vector<json> docs_;
  std::vector<bool> loaded_;
};

} // namespace themis::aql
