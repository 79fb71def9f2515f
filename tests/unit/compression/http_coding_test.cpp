#include <gtest/gtest.h>

#include "protocols/compression/http_coding.hpp"

using namespace themis;
using namespace themis::compression;

namespace {

api_response json_response(size_t n) {
  api_response r;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = "[" + std::string(n, ' ') + "]";
  return r;
}

} // namespace

TEST(http_coding, compresses_what_is_worth_it) {
  http_options o;
  std::string ae = "gzip, br;q=0.9";
  auto r = json_response(4000);
  r.headers.emplace_back("ETag", "\"abc\"");
  encode_response(&ae, r, o);
  ASSERT_NE(r.header("Content-Encoding"), nullptr);
  EXPECT_EQ(*r.header("Content-Encoding"), "gzip");
  EXPECT_EQ(*r.header("Vary"), "Accept-Encoding");
  EXPECT_EQ(*r.header("ETag"), "W/\"abc\"");
  std::string back;
  ASSERT_EQ(decompress(coding::gzip, r.body, 1 << 20, back),
            inflate_status::ok);
  EXPECT_EQ(back.size(), 4002u);
}

TEST(http_coding, leaves_the_rest_alone) {
  http_options o;
  std::string ae = "gzip";
  auto small = json_response(10); // under min_bytes: Vary, no encoding
  encode_response(&ae, small, o);
  EXPECT_EQ(small.header("Content-Encoding"), nullptr);
  EXPECT_NE(small.header("Vary"), nullptr);
  auto png = json_response(4000);
  png.set_header("Content-Type", "image/png");
  encode_response(&ae, png, o);
  EXPECT_EQ(png.header("Content-Encoding"), nullptr);
  EXPECT_EQ(png.header("Vary"), nullptr);
  auto nt = json_response(4000);
  nt.headers.emplace_back("Cache-Control", "no-transform");
  encode_response(&ae, nt, o);
  EXPECT_EQ(nt.header("Content-Encoding"), nullptr);
  auto none = json_response(4000); // no Accept-Encoding
  encode_response(nullptr, none, o);
  EXPECT_EQ(none.header("Content-Encoding"), nullptr);
  auto vary = json_response(4000);
  vary.headers.emplace_back("Vary", "Origin");
  encode_response(&ae, vary, o);
  EXPECT_EQ(*vary.header("Vary"), "Origin, Accept-Encoding");
  o.enabled = false;
  auto off = json_response(4000);
  encode_response(&ae, off, o);
  EXPECT_EQ(off.header("Content-Encoding"), nullptr);
}

TEST(http_coding, request_bodies) {
  http_options o;
  o.max_request_bytes = 1000;
  api_request r;
  std::string z;
  ASSERT_TRUE(compress(coding::zstd, std::string(500, 'a'), {}, z));
  r.body = z;
  r.headers = {{"Content-Encoding", "zstd"}, {"Content-Type", "text/plain"}};
  std::string why;
  EXPECT_EQ(decode_request(r, o, why), 0);
  EXPECT_EQ(r.body, std::string(500, 'a'));
  EXPECT_EQ(r.header("Content-Encoding"), nullptr);
  // two codings, undone last to first
  std::string g, gz;
  ASSERT_TRUE(compress(coding::gzip, "hello", {}, g));
  ASSERT_TRUE(compress(coding::br, g, {}, gz));
  api_request two;
  two.body = gz;
  two.headers = {{"Content-Encoding", "gzip, br"}};
  EXPECT_EQ(decode_request(two, o, why), 0);
  EXPECT_EQ(two.body, "hello");
  api_request unknown;
  unknown.headers = {{"Content-Encoding", "compress"}};
  EXPECT_EQ(decode_request(unknown, o, why), 415);
  api_request big;
  ASSERT_TRUE(compress(coding::gzip, std::string(5000, 'b'), {}, big.body));
  big.headers = {{"Content-Encoding", "gzip"}};
  EXPECT_EQ(decode_request(big, o, why), 413);
  api_request bad;
  bad.body = "garbage";
  bad.headers = {{"Content-Encoding", "br"}};
  EXPECT_EQ(decode_request(bad, o, why), 400);
}
