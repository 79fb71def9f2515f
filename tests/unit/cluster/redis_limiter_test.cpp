// issue 25: the pure parts of the Redis rate limiter: URLs, key naming,
// script replies (RESP bytes through hiredis's own reader), the router's
// question/answer lines and the local fallback's divided limits.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>

#include "cluster/fallback_buckets.hpp"
#include "cluster/redis_reply.hpp"
#include "cluster/redis_scripts.hpp"
#include "cluster/redis_url.hpp"
#include "limits/limit_wire.hpp"

using namespace themis;
using namespace themis::cluster;

namespace {

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// One reply decoded from RESP bytes by hiredis's reader, as the link sees it.
reply_ptr resp(const std::string& bytes) {
  auto* rd = redisReaderCreate();
  redisReaderFeed(rd, bytes.data(), bytes.size());
  void* out = nullptr;
  EXPECT_EQ(redisReaderGetReply(rd, &out), REDIS_OK);
  redisReaderFree(rd);
  return reply_ptr(static_cast<redisReply*>(out));
}

} // namespace

TEST(redis_url, full_and_defaults) {
  redis_url u;
  ASSERT_FALSE(parse_redis_url("redis://bob:s%40cret@cache.local:6380/3", u));
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.password, "s@cret");
  EXPECT_EQ(u.host, "cache.local");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.db, 3u);
  EXPECT_EQ(u.display(), "cache.local:6380/3"); // no credentials in logs
  ASSERT_FALSE(parse_redis_url("redis://127.0.0.1", u));
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0u);
  EXPECT_TRUE(u.password.empty());
  ASSERT_FALSE(parse_redis_url("redis://:pw@[::1]:7000/", u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.password, "pw");
  EXPECT_TRUE(u.user.empty());
}

TEST(redis_url, bad_inputs) {
  redis_url u;
  for (const char* bad :
       {"", "http://x:1", "redis://", "redis://:6379", "redis://h:0",
        "redis://h:70000", "redis://h:12ab", "redis://h:1/x", "redis://[::1",
        "redis://[::1]x", "redis://u:%zz@h", "redis://u:%4@h", "redis://h h:1"})
    EXPECT_TRUE(parse_redis_url(bad, u)) << bad;
  auto tls = parse_redis_url("rediss://h:6380", u);
  ASSERT_TRUE(tls);
  EXPECT_NE(tls->find("TLS"), std::string::npos);
  EXPECT_TRUE(parse_redis_url("redis://" + std::string(2000, 'a'), u));
}

TEST(redis_scripts, keys_are_escaped_and_typed) {
  std::string k("/v1\0t:1:2 x%", 12);
  EXPECT_EQ(bucket_key("p:", limits::algorithm::token_bucket, k),
            "p:tb:/v1%00t%3A1%3A2%20x%25");
  EXPECT_EQ(bucket_key("", limits::algorithm::sliding_window_counter, "a"),
            "sw:a");
  EXPECT_TRUE(redis_supports(limits::algorithm::token_bucket));
  EXPECT_TRUE(redis_supports(limits::algorithm::sliding_window_counter));
  EXPECT_FALSE(redis_supports(limits::algorithm::sliding_window_log));
  // both read the server's clock, never the caller's
  EXPECT_NE(token_bucket_script().find("redis.call('TIME')"),
            std::string::npos);
  EXPECT_NE(sliding_window_script().find("redis.call('TIME')"),
            std::string::npos);
}

TEST(redis_reply, decision) {
  limits::decision d;
  auto r = resp("*4\r\n:1\r\n:7\r\n:300000\r\n:0\r\n");
  ASSERT_EQ(parse_decision(r.get(), 10, d), reply_status::ok);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 10u);
  EXPECT_EQ(d.remaining, 7u);
  EXPECT_EQ(d.reset_ns, 300'000'000);
  EXPECT_EQ(d.retry_after_ns, 0);
  r = resp("*4\r\n:0\r\n:0\r\n:1000000\r\n:100000\r\n");
  ASSERT_EQ(parse_decision(r.get(), 10, d), reply_status::ok);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, 100'000'000);
}

TEST(redis_reply, errors_and_malformed) {
  limits::decision d;
  std::string why;
  EXPECT_EQ(parse_decision(nullptr, 1, d), reply_status::missing);
  auto r = resp("-NOSCRIPT No matching script. Please use EVAL.\r\n");
  EXPECT_EQ(parse_decision(r.get(), 1, d), reply_status::no_script);
  r = resp("-OOM command not allowed\r\n");
  EXPECT_EQ(parse_decision(r.get(), 1, d, &why), reply_status::error);
  EXPECT_EQ(why, "OOM command not allowed");
  for (const char* bad : {
         "+OK\r\n",                              // status, not an array
         ":1\r\n",                               // integer
         "$3\r\nabc\r\n",                        // bulk string
         "*0\r\n",                               // empty array
         "*3\r\n:1\r\n:1\r\n:1\r\n",             // too short
         "*5\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n", // too long
         "*4\r\n:2\r\n:1\r\n:1\r\n:1\r\n",       // allowed not 0/1
         "*4\r\n:1\r\n:-1\r\n:1\r\n:1\r\n",      // negative
         "*4\r\n:1\r\n$1\r\n1\r\n:1\r\n:1\r\n",  // string element
         "*4\r\n:1\r\n*0\r\n:1\r\n:1\r\n",       // nested array
         "*4\r\n:1\r\n$-1\r\n:1\r\n:1\r\n",      // nil element
         "*4\r\n:1\r\n:1\r\n:99999999999999999\r\n:1\r\n", // out of range
         "*-1\r\n",                                        // nil array
       }) {
    r = resp(bad);
    EXPECT_EQ(parse_decision(r.get(), 1, d), reply_status::malformed) << bad;
  }
}

TEST(redis_reply, script_sha) {
  std::string sha;
  auto r = resp("$40\r\n" + std::string(40, 'a') + "\r\n");
  EXPECT_TRUE(parse_script_sha(r.get(), sha));
  EXPECT_EQ(sha, std::string(40, 'a'));
  r = resp("$40\r\n" + std::string(39, 'a') + "Z\r\n");
  EXPECT_FALSE(parse_script_sha(r.get(), sha));
  r = resp("$3\r\nabc\r\n");
  EXPECT_FALSE(parse_script_sha(r.get(), sha));
  r = resp("-ERR no\r\n");
  EXPECT_FALSE(parse_script_sha(r.get(), sha));
  EXPECT_FALSE(parse_script_sha(nullptr, sha));
}

TEST(limit_wire, round_trip) {
  std::vector<limits::limit_item> items(2);
  items[0].spec = {10, 1'000'000'000, 20};
  items[0].key = std::string("/\0t:1 2%", 8);
  items[1].algo = limits::algorithm::sliding_window_counter;
  items[1].spec = {5, 60'000'000'000, 0};
  items[1].key = "group";
  auto back = limits::decode_query(limits::encode_query(items));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].key, items[0].key);
  EXPECT_EQ((*back)[0].spec.burst, 20u);
  EXPECT_EQ((*back)[1].algo, limits::algorithm::sliding_window_counter);
  EXPECT_EQ((*back)[1].spec.window_ns, 60'000'000'000);

  std::vector<limits::limit_answer> a(2);
  a[0].d = {true, 10, 9, 100, 0};
  a[0].from_redis = true;
  a[1].d = {false, 5, 0, 7, 8};
  auto ab = limits::decode_answers(limits::encode_answers(a), 2);
  ASSERT_TRUE(ab);
  EXPECT_TRUE((*ab)[0].d.allowed);
  EXPECT_TRUE((*ab)[0].from_redis);
  EXPECT_FALSE((*ab)[1].d.allowed);
  EXPECT_EQ((*ab)[1].d.retry_after_ns, 8);
  EXPECT_FALSE(limits::decode_answers(limits::encode_answers(a), 1));
  EXPECT_FALSE(limits::decode_answers(limits::encode_answers(a), 3));
}

TEST(limit_wire, bad_inputs) {
  for (const char* bad : {
         "",                            // no item
         "0 10 1000000000 0 k",         // unterminated
         "0 10 1000000000 0\n",         // missing key
         "3 10 1000000000 0 k\n",       // unknown algorithm
         "0 0 1000000000 0 k\n",        // zero limit
         "0 10 10 0 k\n",               // window below 1 ms
         "0 10 1000000000 0 k%4\n",     // truncated escape
         "0 10 1000000000 0 k%zz\n",    // bad escape
         "0 -1 1000000000 0 k\n",       // negative
         "0  10 1000000000 0 k\n",      // empty field
         "0 10 1000000000 0 k extra\n", // key with a space
       })
    EXPECT_FALSE(limits::decode_query(bad)) << bad;
  std::string five;
  for (int i = 0; i < 5; ++i)
    five += "0 10 1000000000 0 k\n";
  EXPECT_FALSE(limits::decode_query(five)); // over max_wire_items
  EXPECT_FALSE(
    limits::decode_query("0 10 1000000000 0 " + std::string(2000, 'k') + "\n"));
  for (const char* bad : {"2 1 1 1 1 r\n", "1 1 1 1 1 x\n", "1 1 1 -1 1 r\n",
                          "1 1 1 1 r\n", "1 1 1 1 1 r"})
    EXPECT_FALSE(limits::decode_answers(bad, 1)) << bad;
}

TEST(fallback_buckets, divides_by_nodes) {
  auto s = per_node({100, 1'000'000'000, 0}, 3);
  EXPECT_EQ(s.limit, 34u); // rounded up: never below 1/N of the limit
  EXPECT_EQ(s.burst, 0u);
  EXPECT_EQ(per_node({1, 1'000'000'000, 5}, 4).limit, 1u);
  EXPECT_EQ(per_node({1, 1'000'000'000, 5}, 4).burst, 2u);
  EXPECT_EQ(per_node({7, 1, 0}, 0).limit, 7u);

  fallback_buckets fb(2, 100);
  limits::limit_item it;
  it.spec = {10, 1'000'000'000, 0};
  it.key = "client";
  int allowed = 0;
  for (int i = 0; i < 20; ++i)
    allowed += fb.take(it, 1'000).allowed;
  EXPECT_EQ(allowed, 5);                    // 10 / 2 nodes
  EXPECT_EQ(fb.take(it, 1'000).limit, 10u); // headers name the cluster rule
}

TEST(fallback_buckets, bounded) {
  fallback_buckets fb(1, 4);
  limits::limit_item it;
  it.spec = {1, 1'000'000'000, 0};
  for (int i = 0; i < 10; ++i) {
    it.key = "k" + std::to_string(i);
    fb.take(it, 0);
    EXPECT_LE(fb.size(), 4u);
  }
}
