/// Graph traversal and path search on an in-memory graph: orders,
/// uniqueness, depth ranges, PRUNE, cycles, weights, k shortest paths and
/// the limits (depth, path states), plus the handle validation edges need.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/shortest_path.hpp"
#include "engine/aql/traversal.hpp"

using namespace themis::aql;

namespace {

class memory_graph : public graph_source {
public:
  void add(const std::string& from, const std::string& to, double w = 1) {
    auto e = std::make_shared<graph_edge>();
    e->id = "e/" + std::to_string(edges_.size());
    e->from = "v/" + from;
    e->to = "v/" + to;
    e->doc = {{"_id", e->id}, {"_from", e->from}, {"_to", e->to}, {"w", w}};
    edges_.push_back(e);
  }
  void edges(const std::string& vertex, edge_direction dir,
             std::vector<edge_ptr>& out) override {
    ++lookups;
    for (auto& e : edges_) {
      bool out_ok = dir != edge_direction::inbound && e->from == vertex;
      bool in_ok = dir != edge_direction::outbound && e->to == vertex;
      if (out_ok || in_ok)
        out.push_back(e);
    }
  }
  json vertex(const std::string& handle) override {
    return {{"_id", handle}, {"name", handle.substr(2)}};
  }
  int lookups = 0;

private:
  std::vector<edge_ptr> edges_;
};

/// "a>b>c" strings of every emitted path.
std::vector<std::string> run(memory_graph& g, const std::string& start,
                             uint64_t min, uint64_t max, const json& opts,
                             edge_direction dir = edge_direction::outbound,
                             traverser::visit_fn prune = {}) {
  std::vector<std::string> out;
  traverser t(g, dir, min, max, parse_traversal_options(opts));
  t.run(
    "v/" + start,
    [&](const graph_path& p) {
      std::string s;
      for (auto* id : p.vertex_ids)
        s += (s.empty() ? "" : ">") + id->substr(2);
      out.push_back(s);
      return true;
    },
    prune);
  return out;
}

memory_graph diamond() { // a→b, a→c, b→d, c→d, d→a (a cycle)
  memory_graph g;
  g.add("a", "b");
  g.add("a", "c");
  g.add("b", "d");
  g.add("c", "d");
  g.add("d", "a");
  return g;
}

} // namespace

TEST(graph_traversal, bfs_and_dfs_orders) {
  auto g = diamond();
  EXPECT_EQ(run(g, "a", 0, 2, {{"order", "bfs"}}),
            (std::vector<std::string>{"a", "a>b", "a>c", "a>b>d", "a>c>d"}));
  EXPECT_EQ(run(g, "a", 0, 2, json::object()), // dfs is the default
            (std::vector<std::string>{"a", "a>b", "a>b>d", "a>c", "a>c>d"}));
}

TEST(graph_traversal, depth_range_and_directions) {
  auto g = diamond();
  EXPECT_EQ(run(g, "a", 2, 2, {{"order", "bfs"}}),
            (std::vector<std::string>{"a>b>d", "a>c>d"}));
  EXPECT_EQ(run(g, "d", 1, 1, {{"order", "bfs"}}, edge_direction::inbound),
            (std::vector<std::string>{"d>b", "d>c"}));
  EXPECT_EQ(run(g, "b", 1, 1, {{"order", "bfs"}}, edge_direction::any),
            (std::vector<std::string>{"b>a", "b>d"}));
}

TEST(graph_traversal, cycles_and_uniqueness) {
  auto g = diamond();
  // edges unique on the path (default): the cycle a→b→d→a is walked once
  auto none = run(g, "a", 4, 4, {{"order", "bfs"}});
  EXPECT_EQ(none, (std::vector<std::string>{"a>b>d>a>c", "a>c>d>a>b"}));
  auto path =
    run(g, "a", 1, 10, {{"order", "bfs"}, {"uniqueVertices", "path"}});
  for (auto& p : path)
    EXPECT_EQ(p.find(">a"), std::string::npos) << p;
  EXPECT_EQ(path.size(), 4u); // b, c, b>d, c>d
  auto global =
    run(g, "a", 0, 10, {{"order", "bfs"}, {"uniqueVertices", "global"}});
  EXPECT_EQ(global, (std::vector<std::string>{"a", "a>b", "a>c", "a>b>d"}));
  // uniqueEdges none on a cycle: bounded only by the depth
  auto walks = run(g, "a", 9, 9, {{"order", "bfs"}, {"uniqueEdges", "none"}});
  EXPECT_FALSE(walks.empty());
}

TEST(graph_traversal, prune_stops_expansion_but_emits) {
  auto g = diamond();
  auto out =
    run(g, "a", 0, 3, {{"order", "bfs"}}, edge_direction::outbound,
        [](const graph_path& p) { return *p.vertex_ids.back() == "v/b"; });
  EXPECT_EQ(out,
            (std::vector<std::string>{"a", "a>b", "a>c", "a>c>d", "a>c>d>a"}));
}

TEST(graph_traversal, weighted_order) {
  memory_graph g;
  g.add("a", "b", 5);
  g.add("a", "c", 1);
  g.add("c", "b", 1);
  auto out =
    run(g, "a", 1, 2, {{"order", "weighted"}, {"weightAttribute", "w"}});
  EXPECT_EQ(out, (std::vector<std::string>{"a>c", "a>c>b", "a>b"}));
  auto global = run(g, "a", 1, 2,
                    {{"order", "weighted"},
                     {"weightAttribute", "w"},
                     {"uniqueVertices", "global"}});
  EXPECT_EQ(global, (std::vector<std::string>{"a>c", "a>c>b"}));
}

TEST(graph_traversal, bad_options_and_limits) {
  auto g = diamond();
  auto kind_of = [&](const json& opts, uint64_t max) {
    try {
      run(g, "a", 1, max, opts);
    } catch (const aql_error& e) {
      return e.kind();
    }
    return error_kind::internal;
  };
  EXPECT_EQ(kind_of({{"order", "sideways"}}, 2), error_kind::semantic);
  EXPECT_EQ(kind_of({{"uniqueVertices", "global"}}, 2), error_kind::semantic);
  EXPECT_EQ(kind_of({{"uniqueEdges", "global"}}, 2), error_kind::semantic);
  EXPECT_EQ(kind_of({{"defaultWeight", -1}}, 2), error_kind::semantic);
  EXPECT_EQ(kind_of("not an object", 2), error_kind::semantic);
  EXPECT_EQ(kind_of(json::object(), max_traversal_depth + 1),
            error_kind::semantic);
  // a dense graph explodes: stopped by the path-state cap
  memory_graph dense;
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 20; ++j)
      if (i != j)
        dense.add(std::to_string(i), std::to_string(j));
  try {
    run(dense, "0", 1, 10, {{"uniqueEdges", "none"}, {"maxPaths", 5000}});
    ADD_FAILURE() << "no limit error";
  } catch (const aql_error& e) {
    EXPECT_EQ(e.kind(), error_kind::limit);
    EXPECT_NE(std::string(e.what()).find("5000"), std::string::npos);
  }
  memory_graph neg;
  neg.add("a", "b", -1);
  EXPECT_THROW(
    run(neg, "a", 1, 1, {{"order", "weighted"}, {"weightAttribute", "w"}}),
    aql_error);
}

TEST(graph_path_search, shortest_and_k_shortest) {
  memory_graph g; // two routes a→d: a→b→d (2 hops, weight 10), a→c→e→d (3, 3)
  g.add("a", "b", 5);
  g.add("b", "d", 5);
  g.add("a", "c", 1);
  g.add("c", "e", 1);
  g.add("e", "d", 1);
  g.add("d", "a", 1); // a cycle back
  auto paths = [&](const json& opts, bool all, size_t k) {
    path_search s(g, edge_direction::outbound, parse_traversal_options(opts),
                  all);
    s.start("v/a", "v/d");
    std::vector<std::pair<std::string, double>> out;
    graph_path p;
    while (out.size() < k && s.next(p)) {
      std::string txt;
      for (auto* id : p.vertex_ids)
        txt += (txt.empty() ? "" : ">") + id->substr(2);
      out.emplace_back(txt, p.weight);
    }
    return out;
  };
  auto hops = paths(json::object(), false, 10);
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[0].first, "a>b>d");
  EXPECT_EQ(hops[1].first, "a>c>e>d");
  auto weighted = paths({{"weightAttribute", "w"}}, false, 10);
  ASSERT_EQ(weighted.size(), 2u);
  EXPECT_EQ(weighted[0].first, "a>c>e>d");
  EXPECT_DOUBLE_EQ(weighted[0].second, 3);
  EXPECT_DOUBLE_EQ(weighted[1].second, 10);
  EXPECT_EQ(paths(json::object(), true, 10).size(), 1u);
  // no path
  path_search none(g, edge_direction::outbound, traversal_options{}, false);
  none.start("v/d", "v/zz");
  graph_path p;
  EXPECT_FALSE(none.next(p));
  // start == target: the one-vertex path
  path_search self(g, edge_direction::outbound, traversal_options{}, false);
  self.start("v/a", "v/a");
  ASSERT_TRUE(self.next(p));
  EXPECT_EQ(p.vertices.size(), 1u);
}

TEST(graph_path_search, all_shortest_on_a_grid) {
  memory_graph g; // 3x3 grid, right and down: C(4,2) = 6 shortest paths
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      auto id = std::to_string(r) + std::to_string(c);
      if (c < 2)
        g.add(id, std::to_string(r) + std::to_string(c + 1));
      if (r < 2)
        g.add(id, std::to_string(r + 1) + std::to_string(c));
    }
  path_search s(g, edge_direction::outbound, traversal_options{}, true);
  s.start("v/00", "v/22");
  graph_path p;
  int n = 0;
  while (s.next(p)) {
    EXPECT_EQ(p.edges.size(), 4u);
    ++n;
  }
  EXPECT_EQ(n, 6);
}

TEST(graph_path_search, state_cap) {
  memory_graph g;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j)
      if (i != j)
        g.add(std::to_string(i), std::to_string(j));
  traversal_options o;
  o.max_paths = 2000;
  path_search s(g, edge_direction::outbound, o, false);
  s.start("v/0", "v/1");
  graph_path p;
  EXPECT_THROW(
    {
      for (int k = 0; k < 100000 && s.next(p); ++k) {
      }
    },
    aql_error);
}

TEST(graph_handles, validation) {
  std::string c, k;
  EXPECT_TRUE(split_handle("users/alice", c, k));
  EXPECT_EQ(c, "users");
  EXPECT_EQ(k, "alice");
  for (auto bad : {"", "users", "/alice", "users/", "us ers/a", "a.b/c",
                   "users/a/b", "users/\xff"})
    EXPECT_FALSE(split_handle(bad, c, k)) << bad;
  EXPECT_EQ(edge_document_error({{"x", 1}}), "");
  EXPECT_EQ(edge_document_error({{"_from", "a/1"}, {"_to", "b/2"}}), "");
  EXPECT_NE(edge_document_error({{"_from", "a/1"}}), "");
  EXPECT_NE(edge_document_error({{"_from", "a/1"}, {"_to", 7}}), "");
  EXPECT_NE(edge_document_error({{"_from", "nokey"}, {"_to", "b/2"}}), "");
}

TEST(graph_path_search, first_only_matches_the_full_search) {
  // SHORTEST_PATH's cheaper search (partial backward ball, A* over the
  // graph) finds paths as light as the complete search, reachable or not
  std::mt19937 rng(42);
  memory_graph g;
  for (int i = 0; i < 800; ++i)
    g.add(std::to_string(rng() % 200), std::to_string(rng() % 200),
          1 + rng() % 9);
  traversal_options o;
  o.weight_attribute = "w";
  int found = 0;
  for (int k = 0; k < 60; ++k) {
    auto a = "v/" + std::to_string(rng() % 200);
    auto b = "v/" + std::to_string(rng() % 200);
    path_search full(g, edge_direction::outbound, o, false);
    path_search fast(g, edge_direction::outbound, o, false, true);
    fast.set_backward_budget(5);
    full.start(a, b);
    fast.start(a, b);
    graph_path p1, p2;
    bool f1 = full.next(p1), f2 = fast.next(p2);
    ASSERT_EQ(f1, f2) << a << " " << b;
    if (!f1)
      continue;
    ++found;
    EXPECT_DOUBLE_EQ(p1.weight, p2.weight) << a << " " << b;
    double sum = 0;
    for (auto* e : p2.edges)
      sum += e->doc["w"].get<double>();
    EXPECT_DOUBLE_EQ(sum, p2.weight);
    EXPECT_EQ(*p2.vertex_ids.front(), a);
    EXPECT_EQ(*p2.vertex_ids.back(), b);
  }
  EXPECT_GT(found, 20);
}
