#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "protocols/mqtt/mqtt_codec.hpp"
#include "protocols/mqtt/mqtt_sub_tree.hpp"

using namespace themis::mqtt;

namespace {

std::multiset<std::string> matches(const sub_tree& t,
                                   const std::string& topic) {
  std::multiset<std::string> out;
  t.match(topic, [&](const std::string& c) { out.insert(c); });
  return out;
}

} // namespace

/// The tree must agree with topic_matches on every (filter, topic) pair.
TEST(mqtt_sub_tree, agrees_with_topic_matches) {
  std::vector<std::string> filters = {
    "#",     "+",     "a",  "a/#", "a/+",  "a/b",   "a/+/c",  "+/b",
    "+/+",   "a/b/#", "/#", "+/#", "a//c", "a/+/+", "$SYS/#", "$SYS/+",
    "a/b/c", "+/b/#", "/",  "/+",  "a/",   "a/+/#", "x/y/z/#"};
  std::vector<std::string> topics = {
    "a",    "a/b", "a/b/c", "a/b/c/d", "b",      "/a",
    "a/",   "/",   "a//c",  "x/y/z",   "$SYS/x", "$SYS/x/y",
    "$SYS", "b/b", "//",    "a/c/c",   "x/y/z/w"};
  sub_tree t;
  for (size_t i = 0; i < filters.size(); ++i)
    t.add(filters[i], "c" + std::to_string(i));
  EXPECT_EQ(t.size(), filters.size());
  for (auto& topic : topics) {
    std::multiset<std::string> want;
    for (size_t i = 0; i < filters.size(); ++i)
      if (topic_matches(filters[i], topic))
        want.insert("c" + std::to_string(i));
    EXPECT_EQ(matches(t, topic), want) << topic;
  }
}

TEST(mqtt_sub_tree, add_remove_and_prune) {
  sub_tree t;
  t.add("a/+/c", "x");
  t.add("a/+/c", "y");
  t.add("a/+/c", "x"); // once per (filter, client)
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(matches(t, "a/b/c").size(), 2u);
  t.remove("a/+/c", "x");
  t.remove("a/+/c", "nobody");
  t.remove("never/added", "x");
  EXPECT_EQ(matches(t, "a/b/c"), std::multiset<std::string>{"y"});
  t.remove("a/+/c", "y");
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(matches(t, "a/b/c").empty());
  t.add("a/#", "z"); // the pruned path can be built again
  EXPECT_EQ(matches(t, "a"), std::multiset<std::string>{"z"});
}

/// Issue 17 (found by fuzz_mqtt): a filter of 65,534 levels — the most a
/// packet can carry — once overflowed the stack in match and in the tree's
/// destructor. Matching and freeing are iterative now; run here on a small
/// thread stack so a recursion would still fail.
TEST(mqtt_sub_tree, deepest_filters_match_and_free_without_recursion) {
  std::string deep(65534, '/');
  std::string plus;
  for (int i = 0; i < 20000; ++i)
    plus += i ? "/+" : "+";
  bool ok = false;
  std::thread th([&] {
    {
      sub_tree t;
      t.add(deep, "d");
      t.add(plus, "p");
      t.add("#", "all");
      auto m = matches(t, deep);
      ok = m.count("d") == 1 && m.count("all") == 1 && m.count("p") == 0;
    } // freed here
  });
  th.join();
  EXPECT_TRUE(ok);
}
