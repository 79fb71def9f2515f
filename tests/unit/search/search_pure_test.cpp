/// Pure parts of vector and full-text search (issue 32): vector parsing
/// and distances, index definitions, the full-text query language, RRF
/// and the metadata filter — each with malformed and hostile input.

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/search/doc_filter.hpp"
#include "engine/search/fts_query.hpp"
#include "engine/search/index_def.hpp"
#include "engine/search/rrf.hpp"
#include "engine/vector/vector_math.hpp"

using nlohmann::json;
using namespace themis;

TEST(VectorMath, Distances) {
  std::vector<float> a{1, 0}, b{0, 1}, c{2, 0};
  EXPECT_NEAR(vector::distance(vector::metric::cosine, a, b), 1.0, 1e-6);
  EXPECT_NEAR(vector::distance(vector::metric::cosine, a, c), 0.0, 1e-6);
  EXPECT_NEAR(vector::distance(vector::metric::l2, a, b), std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(vector::distance(vector::metric::inner_product, a, c), -2.0,
              1e-6);
  std::vector<float> z{0, 0};
  EXPECT_EQ(vector::distance(vector::metric::cosine, a, z), 1.0f);
  EXPECT_NEAR(vector::score_of(vector::metric::cosine, 0.25f), 0.75, 1e-6);
}

TEST(VectorMath, MetricNames) {
  EXPECT_EQ(vector::parse_metric("COSINE"), vector::metric::cosine);
  EXPECT_EQ(vector::parse_metric("L2"), vector::metric::l2);
  EXPECT_EQ(vector::parse_metric("euclidean"), vector::metric::l2);
  EXPECT_EQ(vector::parse_metric("dot"), vector::metric::inner_product);
  EXPECT_FALSE(vector::parse_metric("manhattan"));
  EXPECT_FALSE(vector::parse_metric(""));
}

TEST(VectorMath, ParseVectorRejectsBadInput) {
  std::vector<float> v;
  EXPECT_EQ(vector::parse_vector(json::array({1, 2.5, -3}), 3, v), "");
  EXPECT_EQ(v.size(), 3u);
  EXPECT_NE(vector::parse_vector(json("x"), 0, v), "");
  EXPECT_NE(vector::parse_vector(json::array(), 0, v), "");
  EXPECT_NE(vector::parse_vector(json::array({1, 2}), 3, v), "");
  EXPECT_NE(vector::parse_vector(json::array({1, "2"}), 0, v), "");
  EXPECT_NE(vector::parse_vector(json::array({1, nullptr}), 0, v), "");
  EXPECT_NE(vector::parse_vector(json::array({1, json::array({2})}), 0, v), "");
  EXPECT_NE(vector::parse_vector(json::array({1e300}), 0, v), ""); // > float32
  EXPECT_NE(vector::parse_vector(
              json::array({std::numeric_limits<double>::quiet_NaN()}), 0, v),
            "");
  json big = json::array();
  for (size_t i = 0; i <= vector::max_dimension; ++i)
    big.push_back(1);
  EXPECT_NE(vector::parse_vector(big, 0, v), "");
}

TEST(IndexDef, VectorDefinition) {
  search::index_def d;
  EXPECT_EQ(search::parse_index_def(
              json::parse(R"({"type":"vector","field":"emb","dimension":8,
                "metric":"l2","M":8,"efConstruction":100,"efSearch":50})"),
              d),
            "");
  EXPECT_EQ(d.dimension, 8u);
  EXPECT_EQ(d.metric, vector::metric::l2);
  EXPECT_EQ(d.m, 8u);
  EXPECT_EQ(d.ef_search, 50u);
  EXPECT_EQ(d.name, "vector_emb");
  // ThemisDB's /index/create shape
  search::index_def t;
  EXPECT_EQ(search::parse_index_def(
              json::parse(R"({"table":"docs","column":"text","type":"fulltext",
                "config":{"stemming_enabled":true,"language":"en"}})"),
              t),
            "");
  EXPECT_EQ(t.kind, search::index_kind::fulltext);
  EXPECT_EQ(t.tokenizer, "porter");
  // storage round trip
  d.id = 7;
  d.collection = "t.docs";
  auto back = search::from_storage(search::to_storage(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, 7u);
  EXPECT_EQ(back->collection, "t.docs");
  EXPECT_EQ(back->dimension, 8u);
}

TEST(IndexDef, RejectsHostileDefinitions) {
  auto bad = [](const char* text) {
    search::index_def d;
    return !search::parse_index_def(json::parse(text), d).empty();
  };
  EXPECT_TRUE(bad(R"([])"));
  EXPECT_TRUE(bad(R"({"type":"btree","field":"a"})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a"})")); // no dimension
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a","dimension":0})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a","dimension":5000})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a","dimension":4,"M":1000})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a","dimension":4,"M":"8"})"));
  EXPECT_TRUE(
    bad(R"({"type":"vector","field":"a","dimension":4,"metric":"x"})"));
  EXPECT_TRUE(bad(
    R"({"type":"vector","field":"a","dimension":4096,"max_elements":100000000})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"_key","dimension":4})"));
  EXPECT_TRUE(bad(R"({"type":"vector","field":"a..b","dimension":4})"));
  EXPECT_TRUE(bad(R"({"type":"fulltext","field":""})"));
  EXPECT_TRUE(bad(R"({"type":"fulltext","field":"t","tokenizer":"icu"})"));
  EXPECT_TRUE(bad(R"({"type":"fulltext","field":"t","name":"a.b"})"));
}

TEST(IndexDef, AttributePaths) {
  auto doc = json::parse(R"({"a":{"b":[1,2]},"c":"x"})");
  ASSERT_TRUE(search::attribute_of(doc, "a.b"));
  EXPECT_EQ(*search::attribute_of(doc, "a.b"), json::array({1, 2}));
  EXPECT_EQ(search::attribute_of(doc, "c.d"), nullptr);
  EXPECT_EQ(search::attribute_of(doc, "missing"), nullptr);
}

TEST(FtsQuery, Translates) {
  auto t = [](const char* q) { return search::translate_fts_query(q).match; };
  EXPECT_EQ(t("machine learning"), "\"machine\" AND \"learning\"");
  EXPECT_EQ(t("\"deep learning\" optim*"), "\"deep learning\" AND \"optim\"*");
  EXPECT_EQ(t("a OR b NOT c"), "\"a\" OR \"b\" NOT \"c\"");
  EXPECT_EQ(t("(a OR b) AND c"), "(\"a\" OR \"b\") AND \"c\"");
  // FTS5 syntax is plain text here: column filters, NEAR, quotes
  EXPECT_EQ(t("body:x NEAR(a b)"),
            "\"body:x\" AND \"NEAR\" AND (\"a\" AND \"b\")");
  EXPECT_EQ(t("it's"), "\"it's\"");
  EXPECT_EQ(t("and or"), "\"and\" AND \"or\""); // lower case: words
}

TEST(FtsQuery, RejectsMalformed) {
  auto err = [](std::string q) {
    return !search::translate_fts_query(q).error.empty();
  };
  EXPECT_TRUE(err(""));
  EXPECT_TRUE(err("   "));
  EXPECT_TRUE(err("\"open phrase"));
  EXPECT_TRUE(err("\"  \""));
  EXPECT_TRUE(err("a AND"));
  EXPECT_TRUE(err("OR a"));
  EXPECT_TRUE(err("a NOT"));
  EXPECT_TRUE(err("(a"));
  EXPECT_TRUE(err("a)"));
  EXPECT_TRUE(err("()"));
  EXPECT_TRUE(err("*"));
  EXPECT_TRUE(err("a*b"));
  EXPECT_TRUE(err(std::string("a\0b", 3)));
  EXPECT_TRUE(err(std::string(100000, '('))); // depth before recursion
  EXPECT_TRUE(err(std::string(5000, 'a')));   // length
  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "w" + std::to_string(i) + " ";
  EXPECT_TRUE(err(many)); // term count
  std::string deep;
  for (int i = 0; i < 17; ++i)
    deep += "(";
  deep += "a";
  for (int i = 0; i < 17; ++i)
    deep += ")";
  EXPECT_TRUE(err(deep));
}

TEST(Rrf, FusesByRank) {
  auto r = search::rrf_fuse({"a", "b", "c"}, {"c", "a", "d"}, 60, 10);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].key, "a"); // 1/61 + 1/62
  EXPECT_EQ(r[1].key, "c"); // 1/63 + 1/61
  EXPECT_NEAR(r[0].score, 1.0 / 61 + 1.0 / 62, 1e-12);
  EXPECT_EQ(r[0].rank_a, 1);
  EXPECT_EQ(r[0].rank_b, 2);
  EXPECT_EQ(r[3].key, "d");
  EXPECT_EQ(r[3].rank_a, 0);
  // duplicates count once; limit; ties by key
  auto d = search::rrf_fuse({"x", "x", "y"}, {}, 0, 1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "x");
  EXPECT_NEAR(d[0].score, 1.0, 1e-12);
  auto t = search::rrf_fuse({"b"}, {"a"}, 60, 5);
  EXPECT_EQ(t[0].key, "a");
  EXPECT_TRUE(search::rrf_fuse({}, {}, 60, 5).empty());
}

TEST(DocFilter, ObjectAndArrayForms) {
  std::vector<search::condition> c;
  auto doc =
    json::parse(R"({"cat":"tech","score":0.7,"lang":"en-US","n":{"x":3}})");
  ASSERT_EQ(search::parse_filter(json::parse(R"({"cat":"tech"})"), c), "");
  EXPECT_TRUE(search::matches(doc, c));
  ASSERT_EQ(search::parse_filter(json::parse(R"({"cat":"news"})"), c), "");
  EXPECT_FALSE(search::matches(doc, c));
  ASSERT_EQ(search::parse_filter(json::parse(R"([
      {"field":"score","op":"RANGE","min":0.5,"max":1.0},
      {"field":"lang","op":"CONTAINS","value":"en"},
      {"field":"cat","op":"IN","values":["tech","x"]},
      {"field":"n.x","op":"GTE","value":3}])"),
                                 c),
            "");
  EXPECT_TRUE(search::matches(doc, c));
  ASSERT_EQ(search::parse_filter(
              json::parse(R"([{"field":"score","op":"GT","value":"a"}])"), c),
            "");
  EXPECT_FALSE(search::matches(doc, c)); // number vs string: no order
}

TEST(DocFilter, RejectsMalformed) {
  std::vector<search::condition> c;
  EXPECT_NE(search::parse_filter(json(5), c), "");
  EXPECT_NE(search::parse_filter(json::parse(R"([{"op":"EQ"}])"), c), "");
  EXPECT_NE(search::parse_filter(
              json::parse(R"([{"field":"a","op":"LIKE","value":1}])"), c),
            "");
  EXPECT_NE(search::parse_filter(
              json::parse(R"([{"field":"a","op":"IN","values":1}])"), c),
            "");
  EXPECT_NE(
    search::parse_filter(json::parse(R"([{"field":"a","op":"RANGE"}])"), c),
    "");
  EXPECT_NE(
    search::parse_filter(json::parse(R"([{"field":"a","op":"GT"}])"), c), "");
  EXPECT_NE(search::parse_filter(json::parse(R"({"a..b":1})"), c), "");
  json many = json::object();
  for (int i = 0; i < 40; ++i)
    many["f" + std::to_string(i)] = i;
  EXPECT_NE(search::parse_filter(many, c), "");
  EXPECT_EQ(search::parse_filter(json(), c), "");
  EXPECT_TRUE(c.empty());
}
