// protocols/grpc gRPC-web and Connect codecs: content types, the base64 of
// grpc-web-text (chunked padding and malformed input), the trailer frame,
// CORS decisions, Connect error codes, end-stream messages and timeouts.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

#include "protocols/grpc/connect_protocol.hpp"
#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_web.hpp"

using namespace themis::grpc;
using namespace std::string_literals;

TEST(GrpcWeb, ContentTypes) {
  auto f = parse_web_content_type("application/grpc-web");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->wire, web_wire::web);
  f = parse_web_content_type("Application/GRPC-Web+proto; charset=x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->wire, web_wire::web);
  f = parse_web_content_type("application/grpc-web-text");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->wire, web_wire::web_text);
  f = parse_web_content_type("application/json; charset=utf-8");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->wire, web_wire::connect_unary);
  EXPECT_TRUE(f->json);
  f = parse_web_content_type("application/connect+proto");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->wire, web_wire::connect_stream);
  EXPECT_FALSE(f->json);
  for (auto bad : {"", "application/grpc", "application/grpc-web+json",
                   "application/grpc-webx", "text/plain", ";",
                   "application/connect+thrift"})
    EXPECT_FALSE(parse_web_content_type(bad)) << bad;
  EXPECT_TRUE(is_grpc_web_type("application/grpc-web+json"));
  EXPECT_FALSE(is_grpc_web_type("application/grpc"));
  EXPECT_EQ(web_content_type({web_wire::connect_stream, true}),
            "application/connect+json");
}

TEST(GrpcWeb, Base64RoundTripAndChunkedPadding) {
  for (std::string s : {""s, "a"s, "ab"s, "abc"s, "abcd"s, "\x00\xff\x80"s}) {
    std::string out;
    ASSERT_TRUE(base64_decode_chunks(base64_encode(s), out));
    EXPECT_EQ(out, s);
  }
  EXPECT_EQ(base64_encode("\x00\x00\x00\x00\x01"s), "AAAAAAE=");
  // two messages encoded on their own: padding in the middle
  std::string out;
  ASSERT_TRUE(base64_decode_chunks(
    base64_encode("a") + base64_encode("bc") + base64_encode("def"), out));
  EXPECT_EQ(out, "abcdef");
}

TEST(GrpcWeb, Base64Malformed) {
  for (auto bad : {"A", "AB", "ABC", "====", "A===", "AB=C", "AB C", "AB\r\nCD",
                   "AB-_", "ABC=D", "\xff\xff\xff\xff"}) {
    std::string out;
    EXPECT_FALSE(base64_decode_chunks(bad, out)) << bad;
  }
}

TEST(GrpcWeb, TrailerFrame) {
  auto t = encode_trailer_frame(
    {{"grpc-status", "5"}, {"Grpc-Message", "not%20found"}});
  std::string block = "grpc-status: 5\r\ngrpc-message: not%20found\r\n";
  EXPECT_EQ(t, "\x80\x00\x00\x00"s + static_cast<char>(block.size()) + block);
  auto p = parse_trailer_block(block);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[1].first, "grpc-message");
  EXPECT_EQ((*p)[1].second, "not%20found");
  EXPECT_FALSE(parse_trailer_block("no colon\r\n"));
  EXPECT_FALSE(parse_trailer_block(": empty name\r\n"));
  // the request side refuses the trailer flag like any other flag > 1
  EXPECT_EQ(decode_frame(t, 1000).status, frame_status::bad_flag);
}

TEST(GrpcWeb, Cors) {
  EXPECT_FALSE(origin_allowed({}, "https://a.test"));
  EXPECT_FALSE(origin_allowed({"*"}, ""));
  EXPECT_TRUE(origin_allowed({"*"}, "https://a.test"));
  EXPECT_TRUE(
    origin_allowed({"https://b", "https://a.test"}, "https://a.test"));
  EXPECT_FALSE(origin_allowed({"https://a.test"}, "https://a.test.evil"));
  EXPECT_EQ(*cors_request_headers("content-type, x-grpc-web"),
            "content-type, x-grpc-web");
  EXPECT_FALSE(cors_request_headers("x\r\nset-cookie: a"));
  EXPECT_FALSE(cors_request_headers("a:b"));
  EXPECT_FALSE(cors_request_headers(std::string(3000, 'a')));
  EXPECT_NE(cors_expose_headers().find("grpc-status-details-bin"),
            std::string_view::npos);
}

TEST(Connect, CodesAndStatuses) {
  EXPECT_EQ(connect_code_name(5), "not_found");
  EXPECT_EQ(connect_code_name(1), "canceled");
  EXPECT_EQ(connect_code_name(99), "unknown");
  EXPECT_EQ(connect_code_name(-1), "unknown");
  EXPECT_EQ(connect_http_status(5), 404);
  EXPECT_EQ(connect_http_status(16), 401);
  EXPECT_EQ(connect_http_status(7), 403);
  EXPECT_EQ(connect_http_status(8), 429);
  EXPECT_EQ(connect_http_status(9), 400);
  EXPECT_EQ(connect_http_status(12), 501);
  EXPECT_EQ(connect_http_status(14), 503);
  EXPECT_EQ(connect_http_status(4), 504);
  EXPECT_EQ(connect_http_status(13), 500);
  EXPECT_EQ(connect_http_status(42), 500);
}

TEST(Connect, ErrorAndEndStreamJson) {
  auto e = nlohmann::json::parse(connect_error_json(6, "exists \"x\""));
  EXPECT_EQ(e["code"], "already_exists");
  EXPECT_EQ(e["message"], "exists \"x\"");
  EXPECT_TRUE(e["details"].is_array());
  // invalid UTF-8 does not throw
  EXPECT_NO_THROW(nlohmann::json::parse(connect_error_json(3, "\xff\xfe")));
  auto ok = nlohmann::json::parse(connect_end_stream_json(0, "", {}));
  EXPECT_TRUE(ok.is_object());
  EXPECT_FALSE(ok.contains("error"));
  auto bad = nlohmann::json::parse(
    connect_end_stream_json(14, "draining", {{"themis-resume-after", "42"}}));
  EXPECT_EQ(bad["error"]["code"], "unavailable");
  EXPECT_EQ(bad["metadata"]["themis-resume-after"][0], "42");
  std::string env;
  append_envelope(env, connect_end_stream_flag, "{}");
  EXPECT_EQ(env, "\x02\x00\x00\x00\x02{}"s);
}

TEST(Connect, Timeout) {
  EXPECT_EQ(*parse_connect_timeout_ms("1500"), 1500u);
  EXPECT_EQ(*parse_connect_timeout_ms("9999999999"), uint64_t{1} << 31);
  for (auto bad : {"", "-1", "1.5", "12345678901", "1s", " 1"})
    EXPECT_FALSE(parse_connect_timeout_ms(bad)) << bad;
}
