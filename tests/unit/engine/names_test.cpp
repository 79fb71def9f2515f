#include <gtest/gtest.h>

#include "engine/names.hpp"

using namespace themis::engine;

TEST(themisdb_table, dotted_names_join_with_double_underscore) {
  EXPECT_EQ(collection_of_themisdb_table("relational.default.users"),
            "relational__default__users");
  EXPECT_EQ(collection_of_themisdb_table("users"), "users");
  EXPECT_EQ(collection_of_themisdb_table("a.b"), "a__b");
}

TEST(themisdb_table, refuses_what_would_not_invert) {
  EXPECT_EQ(collection_of_themisdb_table("a..b"), "");
  EXPECT_EQ(collection_of_themisdb_table(".a"), "");
  EXPECT_EQ(collection_of_themisdb_table("a."), "");
  EXPECT_EQ(collection_of_themisdb_table("a__b.c"), "");
  EXPECT_EQ(collection_of_themisdb_table("a_.b"), "");
  EXPECT_EQ(collection_of_themisdb_table("a/b.c"), "");
  EXPECT_EQ(collection_of_themisdb_table("a.b c"), "");
  EXPECT_EQ(collection_of_themisdb_table(std::string(40, 'x') + "." +
                                         std::string(40, 'y')),
            "");
}

TEST(themisdb_table, inverse_round_trips) {
  for (auto t : {"relational.default.users", "users", "a._b", "graph.ns.e-1"})
    EXPECT_EQ(themisdb_table_of(collection_of_themisdb_table(t)), t) << t;
  // native names no dotted table maps to stay as they are
  EXPECT_EQ(themisdb_table_of("x__"), "x__");
  EXPECT_EQ(themisdb_table_of("__x"), "__x");
  EXPECT_EQ(themisdb_table_of("plain_name"), "plain_name");
}
