// protocols/grpc: message framing (annotated byte literals and a block of
// malformed input), grpc-timeout, grpc-message percent-encoding, codings
// and metadata rules.

#include <gtest/gtest.h>
#include <string>

#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_metadata.hpp"
#include "protocols/grpc/grpc_status.hpp"

using namespace themis::grpc;
using namespace std::string_literals;

TEST(GrpcFrame, EncodesPrefixAndMessage) {
  // flag 0, length 3 (big-endian), "abc"
  EXPECT_EQ(encode_frame("abc", false), "\x00\x00\x00\x00\x03"
                                        "abc"s);
  // flag 1 (compressed), empty message
  EXPECT_EQ(encode_frame("", true), "\x01\x00\x00\x00\x00"s);
}

TEST(GrpcFrame, DecodesOneMessageAndSplitsABody) {
  auto two = encode_frame("hello", false) + encode_frame("", true);
  auto f = decode_frame(two, 100);
  ASSERT_EQ(f.status, frame_status::ok);
  EXPECT_EQ(f.message, "hello");
  EXPECT_EQ(f.consumed, 10u);
  EXPECT_FALSE(f.compressed);
  auto s = split_body(two, 100, 10);
  ASSERT_EQ(s.status, frame_status::ok);
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_TRUE(s.messages[1].compressed);
  EXPECT_EQ(s.messages[1].message, "");
}

TEST(GrpcFrame, MalformedInput) {
  struct bad {
    std::string bytes;
    frame_status want;
  } cases[] = {
    {"", frame_status::need_more},              // nothing
    {"\x00\x00\x00"s, frame_status::need_more}, // short prefix
    {"\x00\x00\x00\x00\x05"
     "abc"s,
     frame_status::need_more},                         // cut message
    {"\x02\x00\x00\x00\x00"s, frame_status::bad_flag}, // flag 2
    {"\xff\x00\x00\x00\x00"s, frame_status::bad_flag}, // flag 255
    // 0xffffffff announced: refused on the prefix, nothing allocated
    {"\x00\xff\xff\xff\xff"s, frame_status::too_large},
    {"\x00\x00\x00\x01\x01"s, frame_status::too_large}, // 257 > 256
  };
  for (auto& c : cases)
    EXPECT_EQ(decode_frame(c.bytes, 256).status, c.want) << c.bytes.size();
  // too many messages in one body
  std::string many;
  for (int i = 0; i < 5; ++i)
    many += encode_frame("", false);
  EXPECT_EQ(split_body(many, 10, 4).status, frame_status::too_large);
  EXPECT_EQ(split_body(many + "\x00"s, 10, 10).status, frame_status::need_more);
}

TEST(GrpcStatus, TimeoutUnits) {
  EXPECT_EQ(parse_timeout_ms("1S"), 1000u);
  EXPECT_EQ(parse_timeout_ms("2M"), 120000u);
  EXPECT_EQ(parse_timeout_ms("1H"), 3600000u);
  EXPECT_EQ(parse_timeout_ms("250m"), 250u);
  EXPECT_EQ(parse_timeout_ms("1500u"), 2u); // rounded up
  EXPECT_EQ(parse_timeout_ms("1n"), 1u);
  EXPECT_EQ(parse_timeout_ms("99999999H"), uint64_t{1} << 31); // capped
  for (auto bad : {"", "S", "1", "123456789S", "-1S", "1s", "1 S", "1x", "١S"})
    EXPECT_FALSE(parse_timeout_ms(bad)) << bad;
}

TEST(GrpcStatus, PercentEncoding) {
  EXPECT_EQ(percent_encode("plain text"), "plain text");
  EXPECT_EQ(percent_encode("100% sure"), "100%25 sure");
  EXPECT_EQ(percent_encode("a\nb\xc3\xa9"), "a%0Ab%C3%A9");
  EXPECT_EQ(percent_decode("a%0Ab%C3%A9"), "a\nb\xc3\xa9");
  // malformed escapes stay as they are
  EXPECT_EQ(percent_decode("50%"), "50%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_encode(std::string(10000, 'x')).size(), 4096u);
  EXPECT_EQ(code_name(code::failed_precondition), "FAILED_PRECONDITION");
  EXPECT_EQ(code_name(static_cast<code>(99)), "UNKNOWN");
}

TEST(GrpcMetadata, CodingsRoundTripAndBombs) {
  std::string text(100000, 'a');
  for (auto c : {message_coding::identity, message_coding::gzip,
                 message_coding::deflate, message_coding::zstd}) {
    std::string packed, back;
    ASSERT_TRUE(compress_message(c, text, packed));
    ASSERT_EQ(decompress_message(c, packed, 1 << 20, back),
              themis::compression::inflate_status::ok);
    EXPECT_EQ(back, text);
    // the output limit holds: a bomb stops at it
    EXPECT_EQ(decompress_message(c, packed, 1000, back),
              themis::compression::inflate_status::too_large);
  }
  std::string out;
  for (auto c :
       {message_coding::gzip, message_coding::deflate, message_coding::zstd}) {
    EXPECT_EQ(decompress_message(c, "not compressed", 1000, out),
              themis::compression::inflate_status::corrupt);
    std::string packed;
    compress_message(c, text, packed);
    // cut off
    EXPECT_NE(
      decompress_message(c, packed.substr(0, packed.size() / 2), 1 << 20, out),
      themis::compression::inflate_status::ok);
  }
  EXPECT_EQ(parse_message_coding("GZIP"), message_coding::gzip);
  EXPECT_FALSE(parse_message_coding("snappy"));
  EXPECT_EQ(response_coding(message_coding::gzip, "identity, gzip"),
            message_coding::gzip);
  EXPECT_EQ(response_coding(message_coding::gzip, "deflate"),
            message_coding::identity);
  EXPECT_EQ(response_coding(std::nullopt, "gzip"), message_coding::identity);
}

TEST(GrpcMetadata, ReservedHeadersAndValues) {
  for (auto n : {":path", "grpc-timeout", "Grpc-Status", "content-type", "te"})
    EXPECT_TRUE(reserved_header(n)) << n;
  for (auto n : {"authorization", "x-custom", "grpcx"})
    EXPECT_FALSE(reserved_header(n)) << n;
  EXPECT_TRUE(valid_metadata_value("x-trace-bin", "AAEC/w=="));
  EXPECT_FALSE(valid_metadata_value("x-trace-bin", "not base64!"));
  EXPECT_TRUE(valid_metadata_value("x-note", "hello world"));
  EXPECT_FALSE(valid_metadata_value("x-note", "bad\r\nvalue"));
}
