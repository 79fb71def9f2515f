#include "protocols/http1/request_parser.hpp"

#include <gtest/gtest.h>

using namespace themis::http1;

namespace {

/// Feeds `bytes` in pieces of `step` and returns the final result.
parse_result feed_all(request_parser& p, std::string_view bytes,
                      size_t step = SIZE_MAX) {
  size_t off = 0;
  parse_result r;
  while (off < bytes.size()) {
    auto n = std::min(step, bytes.size() - off);
    r = p.feed(bytes.substr(off, n));
    off += r.consumed;
    if (r.status != parse_status::need_more)
      break;
  }
  r.consumed = off;
  return r;
}

} // namespace

TEST(request_parser, simple_get) {
  request_parser p;
  std::string_view msg = "GET /health HTTP/1.1\r\n" // request line
                         "Host: localhost\r\n"      // required in 1.1
                         "User-Agent: t\r\n\r\n";   // end of head
  auto r = p.feed(msg);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, msg.size());
  auto req = p.release();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/health");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_TRUE(req.keep_alive);
  ASSERT_EQ(req.headers.size(), 2u);
  EXPECT_EQ(req.headers[1].first, "User-Agent");
  EXPECT_EQ(req.headers[1].second, "t");
}

TEST(request_parser, byte_by_byte_with_body) {
  request_parser p;
  std::string_view msg = "POST /x HTTP/1.1\r\nHost: a\r\n"
                         "Content-Length: 5\r\n\r\nhello";
  auto r = feed_all(p, msg, 1);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(p.release().body, "hello");
}

TEST(request_parser, stops_at_message_boundary_for_pipelining) {
  request_parser p;
  std::string msg = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                    "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
  auto r = p.feed(msg);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(p.release().target, "/a");
  auto r2 = p.feed(std::string_view(msg).substr(r.consumed));
  ASSERT_EQ(r2.status, parse_status::complete);
  EXPECT_EQ(p.release().target, "/b");
  EXPECT_EQ(r.consumed + r2.consumed, msg.size());
}

TEST(request_parser, chunked_body_with_extensions_and_trailers) {
  request_parser p;
  std::string_view msg = "POST /c HTTP/1.1\r\nHost: a\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "5;ext=1\r\nhello\r\n"    // chunk with extension
                         "6\r\n world\r\n"         // second chunk
                         "0\r\n"                   // last chunk
                         "X-Trailer: yes\r\n\r\n"; // trailer, end
  for (size_t step : {SIZE_MAX, size_t{1}, size_t{3}}) {
    request_parser q;
    auto r = feed_all(q, msg, step);
    ASSERT_EQ(r.status, parse_status::complete) << step;
    EXPECT_EQ(r.consumed, msg.size());
    EXPECT_EQ(q.release().body, "hello world");
  }
}

TEST(request_parser, http10_defaults_to_close) {
  request_parser p;
  ASSERT_EQ(p.feed("GET / HTTP/1.0\r\n\r\n").status, parse_status::complete);
  EXPECT_FALSE(p.release().keep_alive);
  ASSERT_EQ(p.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").status,
            parse_status::complete);
  EXPECT_TRUE(p.release().keep_alive);
}

TEST(request_parser, connection_close_and_expect_continue) {
  request_parser p;
  std::string_view msg = "PUT /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                         "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  auto r = p.feed(msg);
  EXPECT_EQ(r.status, parse_status::need_more);
  EXPECT_TRUE(p.head_complete());
  EXPECT_TRUE(p.request().expect_continue);
  EXPECT_FALSE(p.request().keep_alive);
  ASSERT_EQ(p.feed("ok").status, parse_status::complete);
}

TEST(request_parser, skips_leading_empty_lines) {
  request_parser p;
  auto r = p.feed("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(r.status, parse_status::complete);
}

TEST(request_parser, header_value_whitespace_trimmed) {
  request_parser p;
  ASSERT_EQ(p.feed("GET / HTTP/1.1\r\nHost:   a  \t\r\nX-E:\r\n\r\n").status,
            parse_status::complete);
  auto req = p.release();
  EXPECT_EQ(req.headers[0].second, "a");
  EXPECT_EQ(req.headers[1].second, "");
}

TEST(request_parser, identical_duplicate_content_length_accepted) {
  request_parser p;
  auto r = p.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                  "Content-Length: 1\r\n\r\nx");
  EXPECT_EQ(r.status, parse_status::complete);
}

TEST(request_parser, header_block_exactly_at_limit_is_accepted) {
  parser_limits lim;
  lim.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  head += std::string(64 - head.size() - 4, 'v');
  head += "\r\n\r\n";
  ASSERT_EQ(head.size(), 64u);
  request_parser p(lim);
  EXPECT_EQ(p.feed(head).status, parse_status::complete);
}

/// Issue 28: "426 Unknown" — every status the server sends (and every one
/// RFC 9110 registers) has its reason phrase.
TEST(reason_phrase, every_status_sent_has_a_phrase) {
  EXPECT_EQ(themis::http1::reason_phrase(426), "Upgrade Required");
  for (int s : {100, 101, 103, 200, 201, 202, 203, 204, 205, 206, 207, 300, 301,
                302, 303, 304, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407,
                408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 425,
                426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 511})
    EXPECT_NE(themis::http1::reason_phrase(s), "Unknown") << s;
}
