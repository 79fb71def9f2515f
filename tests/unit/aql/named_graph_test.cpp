// Named graph definitions (issue 32): normalization of what clients send
// and the reading of stored (untrusted) definitions.

#include "engine/aql/named_graph.hpp"

#include <gtest/gtest.h>

using namespace themis::aql;

TEST(NamedGraph, Normalizes) {
  json out;
  std::string err;
  ASSERT_TRUE(normalize_graph_definition(
    json::parse(R"({"name": "social", "edgeDefinitions": [{"collection":
      "knows", "from": ["persons", "persons"], "to": ["persons"]}],
      "extra": 1})"),
    out, err))
    << err;
  EXPECT_EQ(out, json::parse(R"({"_key": "social", "name": "social",
    "edgeDefinitions": [{"collection": "knows", "from": ["persons"],
    "to": ["persons"]}], "orphanCollections": []})"));
  // snake_case too, and no definitions at all
  ASSERT_TRUE(normalize_graph_definition(
    json::parse(R"({"name": "g", "edge_definitions": [{"collection": "e"}],
      "orphan_collections": ["o"]})"),
    out, err));
  EXPECT_EQ(out["edgeDefinitions"][0]["from"], json::array());
  EXPECT_EQ(out["orphanCollections"], json::array({"o"}));
  ASSERT_TRUE(normalize_graph_definition(json{{"name", "g"}}, out, err));
}

TEST(NamedGraph, RefusesBadDefinitions) {
  json many = json::array();
  for (size_t i = 0; i <= max_edge_definitions; ++i)
    many.push_back({{"collection", "e" + std::to_string(i)}});
  json wide = json::array();
  for (size_t i = 0; i <= max_vertex_collections; ++i)
    wide.push_back("v" + std::to_string(i));
  for (auto bad : {
         json::array(),
         json{{"name", 1}},
         json{{"name", ""}},
         json{{"name", "a/b"}},
         json{{"name", "g"}, {"edgeDefinitions", "e"}},
         json{{"name", "g"}, {"edgeDefinitions", json::array({1})}},
         json{{"name", "g"},
              {"edgeDefinitions", json::array({json::object()})}},
         json{{"name", "g"},
              {"edgeDefinitions", json::array({{{"collection", "a.b"}}})}},
         json{{"name", "g"},
              {"edgeDefinitions",
               json::array({{{"collection", "e"}, {"from", "v"}}})}},
         json{{"name", "g"},
              {"edgeDefinitions",
               json::array({{{"collection", "e"}, {"to", json::array({2})}}})}},
         json{{"name", "g"},
              {"edgeDefinitions",
               json::array({{{"collection", "e"}}, {{"collection", "e"}}})}},
         json{{"name", "g"}, {"edgeDefinitions", many}},
         json{{"name", "g"},
              {"edgeDefinitions",
               json::array({{{"collection", "e"}, {"from", wide}}})}},
         json{{"name", "g"}, {"orphanCollections", json::array({"../x"})}},
       }) {
    json out;
    std::string err;
    EXPECT_FALSE(normalize_graph_definition(bad, out, err)) << bad.dump();
    EXPECT_FALSE(err.empty()) << bad.dump();
  }
}

TEST(NamedGraph, ReadsStoredDefinitions) {
  std::vector<std::string> edges;
  std::string err;
  ASSERT_TRUE(graph_edge_collections(
    json::parse(R"({"edgeDefinitions": [{"collection": "a"},
      {"collection": "b", "from": ["v"], "to": ["w"]}]})"),
    edges, err));
  EXPECT_EQ(edges, (std::vector<std::string>{"a", "b"}));
  // whatever someone wrote into _graphs
  for (auto bad : {json("x"), json{{"edgeDefinitions", 7}},
                   json{{"edgeDefinitions", json::array({"a"})}}}) {
    EXPECT_FALSE(graph_edge_collections(bad, edges, err)) << bad.dump();
    EXPECT_NE(err.find("invalid"), std::string::npos) << err;
  }
  EXPECT_EQ(graph_not_found_message("g"), "graph 'g' not found");
}
