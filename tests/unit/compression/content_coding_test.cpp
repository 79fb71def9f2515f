#include <gtest/gtest.h>

#include "protocols/compression/content_coding.hpp"

using namespace themis::compression;

namespace {

const std::vector<coding> all = {coding::br, coding::zstd, coding::gzip};

std::string sample() {
  std::string s;
  for (int i = 0; i < 2000; ++i)
    s += "{\"sensor\": " + std::to_string(i % 17) + ", \"ok\": true}\n";
  return s;
}

} // namespace

TEST(content_coding, negotiation_follows_q_values) {
  EXPECT_EQ(negotiate("", all), coding::identity);
  EXPECT_EQ(negotiate("gzip", all), coding::gzip);
  EXPECT_EQ(negotiate("gzip, deflate, br, zstd", all), coding::br);
  EXPECT_EQ(negotiate("gzip;q=1.0, br;q=0.5", all), coding::gzip);
  EXPECT_EQ(negotiate("br;q=0, gzip;q=0.1", all), coding::gzip);
  EXPECT_EQ(negotiate("*", all), coding::br);
  EXPECT_EQ(negotiate("*;q=0.5, br;q=0", all), coding::zstd);
  EXPECT_EQ(negotiate("identity", all), coding::identity);
  EXPECT_EQ(negotiate("GZIP ; Q=0.8", all), coding::gzip);
  EXPECT_EQ(negotiate("x-gzip", all), coding::gzip);
  EXPECT_EQ(negotiate("gzip;q=0", all), coding::identity);
  // malformed elements are skipped
  EXPECT_EQ(negotiate("br;q=2, gzip;q=abc, zstd;q=0.3", all), coding::zstd);
  EXPECT_EQ(negotiate(",,;,", all), coding::identity);
}

TEST(content_coding, round_trips) {
  auto in = sample();
  for (auto c : all) {
    std::string z, back;
    ASSERT_TRUE(compress(c, in, {}, z)) << name(c);
    EXPECT_LT(z.size(), in.size() / 4) << name(c);
    ASSERT_EQ(decompress(c, z, in.size(), back), inflate_status::ok) << name(c);
    EXPECT_EQ(back, in);
    std::string e, eback;
    ASSERT_TRUE(compress(c, "", {}, e));
    EXPECT_EQ(decompress(c, e, 10, eback), inflate_status::ok) << name(c);
    EXPECT_TRUE(eback.empty());
  }
}

TEST(content_coding, bombs_and_garbage) {
  std::string zeros(64u << 20, '\0'); // 64 MiB of zeros: a few KiB packed
  for (auto c : all) {
    std::string z, out;
    ASSERT_TRUE(compress(c, zeros, {}, z));
    EXPECT_LT(z.size(), 1u << 20);
    EXPECT_EQ(decompress(c, z, 1u << 20, out), inflate_status::too_large)
      << name(c);
    EXPECT_LE(out.size(), 1u << 20);
    // truncated and garbage input
    EXPECT_EQ(decompress(c, z.substr(0, z.size() / 2), 1u << 30, out),
              inflate_status::corrupt)
      << name(c);
    EXPECT_EQ(decompress(c, "not compressed at all", 1u << 20, out),
              inflate_status::corrupt)
      << name(c);
    std::string trailing = z + "junk";
    std::string small;
    ASSERT_TRUE(compress(c, "abc", {}, small));
    EXPECT_EQ(decompress(c, small + "junk", 100, out), inflate_status::corrupt)
      << name(c);
  }
}

TEST(content_coding, streams_are_decodable_after_every_piece) {
  for (auto c : all) {
    auto s = stream_compressor::create(c, {});
    ASSERT_TRUE(s);
    std::string wire, plain;
    for (int i = 0; i < 5; ++i) {
      std::string piece = "data: event " + std::to_string(i) + "\n\n";
      plain += piece;
      auto out = s->add(piece);
      EXPECT_FALSE(out.empty()) << name(c); // flushed: nothing held back
      wire += out;
    }
    wire += s->finish();
    std::string back;
    ASSERT_EQ(decompress(c, wire, 1u << 20, back), inflate_status::ok)
      << name(c);
    EXPECT_EQ(back, plain);
  }
}

TEST(content_coding, compressible_types) {
  EXPECT_TRUE(compressible("application/json"));
  EXPECT_TRUE(compressible("application/json; charset=utf-8"));
  EXPECT_TRUE(compressible("text/event-stream"));
  EXPECT_TRUE(compressible("application/problem+json"));
  EXPECT_FALSE(compressible("image/png"));
  EXPECT_FALSE(compressible("application/zip"));
  EXPECT_FALSE(compressible("application/octet-stream"));
  EXPECT_TRUE(compressible("application/octet-stream", {"application/oct"}));
}
