// small_fifo (protocols/small_fifo.hpp): the connection write queues'
// container. FIFO order across growth and compaction, short strings keep
// their bytes when the vector moves them, nothing held once empty.
#include <gtest/gtest.h>

#include <string>

#include "protocols/small_fifo.hpp"

using themis::small_fifo;

TEST(small_fifo, fifo_order_across_growth_and_compaction) {
  small_fifo<int> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  // a producer always a little ahead of the consumer: exercises the
  // compaction of the consumed prefix many times
  for (int round = 0; round < 1000; ++round) {
    for (int i = 0; i < 3; ++i)
      q.push_back(next_in++);
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(q.front(), next_out++);
      q.pop_front();
    }
    ASSERT_EQ(q.size(), static_cast<size_t>(next_in - next_out));
  }
  for (size_t i = 0; i < q.size(); ++i)
    ASSERT_EQ(q[i], next_out + static_cast<int>(i));
  int seen = next_out;
  for (int v : q)
    ASSERT_EQ(v, seen++);
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(small_fifo, short_and_long_strings_survive_moves) {
  small_fifo<std::string> q;
  for (int i = 0; i < 100; ++i)
    q.push_back(i % 2 ? std::string(100, static_cast<char>('a' + i % 26))
                      : std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    auto want = i % 2 ? std::string(100, static_cast<char>('a' + i % 26))
                      : std::to_string(i);
    ASSERT_EQ(q.front(), want);
    q.pop_front();
    q.push_back("x" + std::to_string(i)); // keeps growing/compacting
  }
  EXPECT_EQ(q.size(), 100u);
  EXPECT_EQ(q.front(), "x0");
}

TEST(small_fifo, pop_back_and_clear) {
  small_fifo<std::string> q;
  q.push_back("a");
  q.push_back("b");
  q.push_back("c");
  q.pop_front();
  q.pop_back();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q.front(), "b");
  EXPECT_EQ(q.back(), "b");
  q.pop_back();
  EXPECT_TRUE(q.empty());
  q.push_back("d");
  EXPECT_EQ(q.front(), "d");
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
}
