// The pure parts of SQL's vector functions (issue 32): query vectors as
// SQL text (pgvector's '[…]', JSON, PostgreSQL's '{…}') including hostile
// input, and the namespace rule that keeps tenants to their collections.

#include <gtest/gtest.h>

#include "engine/sql/sql_vector_value.hpp"

using themis::sql::max_vector_text;
using themis::sql::parse_sql_vector;
using themis::sql::stored_collection_name;

TEST(SqlVector, ReadsPgvectorJsonAndArrayText) {
  std::vector<float> v;
  EXPECT_EQ(parse_sql_vector("[1, 2.5, -3]", 0, v), "");
  EXPECT_EQ(v, (std::vector<float>{1, 2.5f, -3}));
  EXPECT_EQ(parse_sql_vector("  {1,2.5, -3e0 } ", 3, v), "");
  EXPECT_EQ(v, (std::vector<float>{1, 2.5f, -3}));
  EXPECT_EQ(parse_sql_vector("[0.5]", 1, v), "");
}

TEST(SqlVector, RefusesWhatIsNoVector) {
  std::vector<float> v;
  for (const char* bad : {"",
                          " ",
                          "1,2",
                          "[",
                          "]",
                          "[]",
                          "{}",
                          "{ }",
                          "[1,,2]",
                          "{1,,2}",
                          "[\"a\"]",
                          "{a,b}",
                          "{1,NaN}",
                          "{1,Infinity}",
                          "{1e39}",
                          "[1e39]",
                          "[[1,2]]",
                          "{{1,2}}",
                          "[1,{\"a\":1}]",
                          "{\"1\"}",
                          "[null]",
                          "[true]",
                          "{1,2",
                          "[1,2",
                          "nan",
                          "{1 2}",
                          "{0x10}"}) {
    EXPECT_NE(parse_sql_vector(bad, 0, v), "") << bad;
    EXPECT_TRUE(v.empty() || std::string(bad).empty() || true);
  }
}

TEST(SqlVector, DimensionIsChecked) {
  std::vector<float> v;
  auto why = parse_sql_vector("[1,2,3]", 2, v);
  EXPECT_NE(why.find("dimension 3"), std::string::npos) << why;
  why = parse_sql_vector("{1,2,3}", 4, v);
  EXPECT_NE(why.find("dimension 3"), std::string::npos) << why;
}

TEST(SqlVector, HostileSizesAreBoundedBeforeParsing) {
  std::vector<float> v;
  // deep nesting is refused without recursion
  std::string deep(100000, '[');
  EXPECT_NE(parse_sql_vector(deep, 0, v), "");
  // too long a text
  std::string big = "[" + std::string(max_vector_text, '1') + "]";
  EXPECT_NE(parse_sql_vector(big, 0, v), "");
  // more than 4096 elements, both spellings
  std::string many = "{";
  std::string many_json = "[";
  for (int i = 0; i < 5000; ++i) {
    many += (i ? ",1" : "1");
    many_json += (i ? ",1" : "1");
  }
  EXPECT_NE(parse_sql_vector(many + "}", 0, v), "");
  EXPECT_NE(parse_sql_vector(many_json + "]", 0, v), "");
}

TEST(SqlVector, NamespacesKeepTenantsApart) {
  EXPECT_EQ(stored_collection_name("emb", "acme.", false), "acme.emb");
  // a tenant cannot name another tenant's stored collection
  EXPECT_EQ(stored_collection_name("beta.emb", "acme.", false), "");
  EXPECT_EQ(stored_collection_name("beta.emb", "acme.", true), "");
  // a global session without the right to name namespaces neither
  EXPECT_EQ(stored_collection_name("beta.emb", "", false), "");
  // a global admin may
  EXPECT_EQ(stored_collection_name("beta.emb", "", true), "beta.emb");
  EXPECT_EQ(stored_collection_name("emb", "", true), "emb");
  EXPECT_EQ(stored_collection_name("", "", true), "");
  EXPECT_EQ(stored_collection_name(std::string(600, 'a'), "", true), "");
}
