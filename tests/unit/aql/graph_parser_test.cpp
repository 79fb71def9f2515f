/// The parser's graph forms: traversals with depth ranges, directions,
/// several edge collections, PRUNE and OPTIONS; path searches; and the
/// malformed variants with their errors.

#include <gtest/gtest.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/parser.hpp"

using namespace themis::aql;

namespace {

const graph_spec& graph_of(const parsed_query& q) {
  auto& c = q.root->clauses.at(0);
  EXPECT_EQ(c.kind, clause_kind::for_);
  EXPECT_TRUE(c.graph);
  return *c.graph;
}

aql_error fails(const std::string& text) {
  try {
    parse(text);
  } catch (const aql_error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error: " << text;
  return aql_error(error_kind::internal, "none");
}

} // namespace

TEST(aql_graph_parser, traversal_forms) {
  auto q = parse("FOR v, e, p IN 1..3 OUTBOUND 'users/a' knows, likes "
                 "PRUNE v.stop == true OPTIONS {order: 'bfs'} "
                 "FILTER p.edges[0].w > 1 RETURN [v, e, p]");
  auto& g = graph_of(q);
  EXPECT_EQ(g.kind, graph_kind::traversal);
  EXPECT_EQ(g.direction, edge_direction::outbound);
  ASSERT_TRUE(g.min_depth && g.max_depth);
  EXPECT_EQ(g.min_depth->value, 1);
  EXPECT_EQ(g.max_depth->value, 3);
  ASSERT_EQ(g.edges.size(), 2u);
  EXPECT_EQ(g.edges[1].name, "likes");
  EXPECT_TRUE(g.prune);
  EXPECT_TRUE(q.root->clauses[0].options);
  EXPECT_GE(g.edge_slot, 0);
  EXPECT_GE(g.path_slot, 0);

  auto one = parse("FOR v IN INBOUND @start @@edges RETURN v");
  EXPECT_EQ(graph_of(one).direction, edge_direction::inbound);
  EXPECT_FALSE(graph_of(one).min_depth);
  EXPECT_TRUE(graph_of(one).edges[0].bind);
  EXPECT_EQ(one.collection_binds.size(), 1u);

  auto depth = parse("FOR v IN 2 ANY 'a/b' e RETURN v");
  EXPECT_EQ(graph_of(depth).direction, edge_direction::any);
  EXPECT_FALSE(graph_of(depth).max_depth);

  auto binds = parse("FOR v IN @lo..@hi OUTBOUND 'a/b' e RETURN v");
  EXPECT_EQ(binds.bind_names.size(), 2u);

  // a collection called "any" is still a plain FOR
  auto plain = parse("FOR x IN any RETURN x");
  EXPECT_FALSE(plain.root->clauses[0].graph);
  // keywords in lower case
  auto lower = parse("for v in 1..2 outbound 'a/b' e prune v.x return v");
  EXPECT_TRUE(graph_of(lower).prune);
}

TEST(aql_graph_parser, path_searches) {
  auto sp = parse("FOR v, e IN OUTBOUND SHORTEST_PATH 'a/1' TO 'a/2' edges "
                  "OPTIONS {weightAttribute: 'w'} RETURN v");
  EXPECT_EQ(graph_of(sp).kind, graph_kind::shortest_path);
  EXPECT_TRUE(graph_of(sp).target);
  auto k = parse("FOR p IN ANY K_SHORTEST_PATHS 'a/1' TO 'a/2' edges LIMIT 3 "
                 "RETURN p");
  EXPECT_EQ(graph_of(k).kind, graph_kind::k_shortest_paths);
  auto all = parse("FOR p IN INBOUND ALL_SHORTEST_PATHS 'a/1' TO 'a/2' edges "
                   "RETURN p");
  EXPECT_EQ(graph_of(all).kind, graph_kind::all_shortest_paths);
}

TEST(aql_graph_parser, start_does_not_see_its_variables) {
  // `v` in the start position is not declared yet (a collection name);
  // PRUNE sees the variables
  auto q = parse("FOR v IN 1..2 OUTBOUND v edges PRUNE v.x RETURN v");
  EXPECT_EQ(graph_of(q).start->kind, expr_kind::collection);
  EXPECT_EQ(graph_of(q).prune->args[0]->kind, expr_kind::variable);
}

TEST(aql_graph_parser, malformed) {
  struct bad {
    const char* q;
    const char* part;
  };
  for (auto b : {
         bad{"FOR v, e IN users RETURN v", "graph traversal"},
         bad{"FOR v IN 1..3 SIDEWAYS 'a/b' e RETURN v", "SIDEWAYS"},
         bad{"FOR v IN 1..101 OUTBOUND 'a/b' e RETURN v", "limit of 100"},
         bad{"FOR v IN 1..3 OUTBOUND 'a/b' RETURN v", "edge collection"},
         bad{"FOR v IN 1..3 OUTBOUND 'a/b' GRAPH 12 RETURN v", "GRAPH expects"},
         bad{"FOR v IN 1..3 OUTBOUND 'a/b' GRAPH g RETURN v", "GRAPH expects"},
         bad{"FOR v IN 1..3 OUTBOUND 'a/b' GRAPH RETURN v", "GRAPH expects"},
         bad{"FOR v IN 1..3 OUTBOUND 'a/b' e, RETURN v", "edge collection"},
         bad{"FOR v IN 'x'..3 OUTBOUND 'a/b' e RETURN v", ""},
         bad{"FOR v IN 1..'y' OUTBOUND 'a/b' e RETURN v", "OUTBOUND"},
         bad{"FOR v, e, p, q IN 1..3 OUTBOUND 'a/b' e RETURN v", "at most"},
         bad{"FOR v, e, p IN OUTBOUND SHORTEST_PATH 'a/1' TO 'a/2' e RETURN v",
             "at most two"},
         bad{"FOR p, x IN OUTBOUND K_SHORTEST_PATHS 'a/1' TO 'a/2' e RETURN p",
             "one variable"},
         bad{"FOR v IN OUTBOUND SHORTEST_PATH 'a/1' 'a/2' e RETURN v", "TO"},
         bad{"FOR v IN 1..2 OUTBOUND SHORTEST_PATH 'a/1' TO 'a/2' e RETURN v",
             "no depth"},
         bad{"FOR v IN OUTBOUND SHORTEST_PATH 'a/1' TO 'a/2' e PRUNE v.x "
             "RETURN v",
             "PRUNE"},
         bad{"FOR v, v IN 1..2 OUTBOUND 'a/b' e RETURN v", "multiple"},
         bad{"FOR v IN 1..2 OUTBOUND 'a/b' INBOUND e RETURN v", "direction"},
         bad{"FOR v IN 1..2 OUTBOUND", ""},
       }) {
    auto e = fails(b.q);
    EXPECT_NE(std::string(e.what()).find(b.part), std::string::npos)
      << b.q << " → " << e.what();
  }
}

TEST(aql_graph_parser, named_graph) {
  auto q = parse("FOR v, e, p IN 1..3 ANY 'users/a' GRAPH 'social' "
                 "PRUNE v.x OPTIONS {order: 'dfs'} RETURN v");
  auto& g = graph_of(q);
  EXPECT_TRUE(g.edges.empty());
  ASSERT_TRUE(g.graph_name);
  EXPECT_EQ(g.graph_name->value, "social");
  EXPECT_TRUE(g.prune);
  auto q2 = parse("FOR p IN OUTBOUND K_SHORTEST_PATHS 'a/1' TO 'a/2' "
                  "GRAPH @g RETURN p");
  ASSERT_TRUE(graph_of(q2).graph_name);
  auto q3 = parse("FOR v IN OUTBOUND SHORTEST_PATH 'a/1' TO 'a/2' "
                  "GRAPH 'g' RETURN v");
  ASSERT_TRUE(graph_of(q3).graph_name);
}
