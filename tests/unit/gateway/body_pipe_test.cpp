#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gateway/body_pipe.hpp"

using themis::gateway::body_pipe;

TEST(BodyPipe, PausesAtTheWindowAndResumesOnTake) {
  body_pipe p(10, 1000);
  int notified = 0, resumed = 0;
  p.set_notify([&] { ++notified; });
  p.set_resume([&] { ++resumed; });
  EXPECT_TRUE(p.push("abcd"));
  EXPECT_EQ(notified, 1);
  EXPECT_TRUE(p.push("efgh")); // no second notice before a take
  EXPECT_EQ(notified, 1);
  EXPECT_FALSE(p.push("ijkl")); // 12 >= 10: stop reading
  EXPECT_EQ(p.buffered(), 12u);
  EXPECT_EQ(resumed, 0);
  auto piece = p.take();
  EXPECT_EQ(piece.bytes, "abcdefghijkl");
  EXPECT_FALSE(piece.end);
  EXPECT_EQ(resumed, 1); // it had paused: read again
  EXPECT_TRUE(p.push("m"));
  EXPECT_EQ(notified, 2);
  p.take();
  EXPECT_EQ(resumed, 1); // it had not paused: no resume
  EXPECT_EQ(p.total(), 13u);
}

TEST(BodyPipe, FinishAndFailEndTheBody) {
  body_pipe p(100, 1000);
  int notified = 0;
  p.set_notify([&] { ++notified; });
  p.push("x");
  p.finish();
  auto a = p.take();
  EXPECT_EQ(a.bytes, "x");
  EXPECT_TRUE(a.end);
  EXPECT_FALSE(a.failed);
  EXPECT_FALSE(p.push("late")); // after the end nothing is taken
  body_pipe q(100, 1000);
  q.push("par");
  q.fail("upstream idle timeout");
  auto b = q.take();
  EXPECT_EQ(b.bytes, "par");
  EXPECT_TRUE(b.end);
  EXPECT_TRUE(b.failed);
  EXPECT_EQ(b.error, "upstream idle timeout");
}

TEST(BodyPipe, CancelWakesTheProducerAndDropsBytes) {
  body_pipe p(4, 1000);
  int resumed = 0, notified = 0;
  p.set_resume([&] { ++resumed; });
  p.set_notify([&] { ++notified; });
  EXPECT_FALSE(p.push("12345"));
  p.cancel();
  EXPECT_EQ(resumed, 1); // the producer learns it and drops its connection
  EXPECT_TRUE(p.cancelled());
  EXPECT_EQ(p.buffered(), 0u);
  EXPECT_FALSE(p.push("more"));
  EXPECT_EQ(notified, 1); // (the consumer is gone: not told again)
  p.cancel();             // twice is harmless
  EXPECT_EQ(resumed, 1);
}

TEST(BodyPipe, ProducerAndConsumerOnTwoThreadsLoseNothing) {
  // the producer stops at the window and waits for resume, as the pool's
  // reader does; the consumer takes on notices: every byte arrives once
  body_pipe p(64, 1000);
  std::atomic<int> wake{0};
  std::atomic<bool> news{false};
  p.set_resume([&] { wake.fetch_add(1); });
  p.set_notify([&] { news = true; });
  const int pieces = 20000;
  std::thread producer([&] {
    int seen_wake = 0;
    for (int i = 0; i < pieces; ++i) {
      if (!p.push("0123456789")) {
        while (wake.load() == seen_wake && !p.cancelled())
          std::this_thread::yield();
        seen_wake = wake.load();
      }
    }
    p.finish();
  });
  uint64_t got = 0;
  for (;;) {
    auto piece = p.take();
    got += piece.bytes.size();
    if (piece.end)
      break;
    std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(got, uint64_t(pieces) * 10);
}
