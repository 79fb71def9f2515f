#include <gtest/gtest.h>

#include "gateway/coalescer.hpp"
#include "gateway/response_parser.hpp"

using namespace themis::gateway;
using res = response_parser::result;

TEST(ResponseParser, ContentLengthInPieces) {
  response_parser p(false);
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n"
                     "hello";
  for (size_t i = 0; i + 1 < wire.size(); ++i)
    ASSERT_EQ(p.feed(wire.substr(i, 1)), res::need_more) << i;
  ASSERT_EQ(p.feed(wire.substr(wire.size() - 1)), res::done);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_EQ(p.response().body, "hello");
  EXPECT_TRUE(p.response().keep_alive);
}

TEST(ResponseParser, ChunkedWithExtensionsAndTrailers) {
  response_parser p(false);
  EXPECT_EQ(p.feed("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"),
            res::done);
  EXPECT_EQ(p.response().status, 201);
  EXPECT_EQ(p.response().body, "hello world");
}

TEST(ResponseParser, CloseDelimitedAndHead) {
  response_parser p(false);
  EXPECT_EQ(p.feed("HTTP/1.0 200 OK\r\n\r\nabc"), res::need_more);
  EXPECT_EQ(p.feed("def"), res::need_more);
  EXPECT_EQ(p.on_eof(), res::done);
  EXPECT_EQ(p.response().body, "abcdef");
  EXPECT_FALSE(p.response().keep_alive);
  response_parser h(true);
  EXPECT_EQ(h.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
            res::done);
  EXPECT_TRUE(h.response().body.empty());
  response_parser c(false);
  EXPECT_EQ(c.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n"
                   "Connection: close\r\n\r\n"),
            res::done);
  EXPECT_EQ(c.response().status, 204);
  EXPECT_FALSE(c.response().keep_alive);
}

TEST(ResponseParser, BadInputs) {
  response_limits tiny;
  tiny.max_header_bytes = 64;
  tiny.max_body_bytes = 8;
  const char* bad[] = {
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/1.1 2x0 OK\r\n\r\n",
    "HTTP/1.1 099 Low\r\n\r\n",
    "HTTP/1.1 200OK\r\n\r\n",
    "garbage\r\n\r\n",
    "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n"
    "\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff"
    "\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX",
    "HTTP/1.1 200 OK\r\nX: 0123456789012345678901234567890123456789012345678"
    "9\r\n\r\n",
  };
  for (auto b : bad) {
    response_parser p(false, tiny);
    EXPECT_EQ(p.feed(b), res::error) << b;
    EXPECT_FALSE(p.error().empty());
  }
  response_parser trunc(false);
  EXPECT_EQ(trunc.feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab"),
            res::need_more);
  EXPECT_EQ(trunc.on_eof(), res::error);
  response_parser none(false);
  EXPECT_EQ(none.on_eof(), res::error);
  response_parser big(false, tiny); // close-delimited over the limit
  EXPECT_EQ(big.feed("HTTP/1.1 200 OK\r\n\r\n0123456789"), res::error);
}

TEST(ResponseParser, ExtraBytesStopReuse) {
  response_parser p(false);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1"),
            res::done);
  EXPECT_FALSE(p.response().keep_alive);
}

TEST(Coalescer, LeaderJoinersAndLimits) {
  coalescer<int> c(2);
  using o = coalescer<int>::outcome;
  EXPECT_EQ(c.join("k", 1, 2), o::leader);
  EXPECT_EQ(c.join("k", 2, 2), o::joined);
  EXPECT_EQ(c.join("k", 3, 2), o::joined);
  EXPECT_EQ(c.join("k", 4, 2), o::refused); // max waiters
  EXPECT_EQ(c.join("j", 5, 2), o::leader);
  EXPECT_EQ(c.join("l", 6, 2), o::refused); // max keys
  auto w = c.finish("k");
  EXPECT_EQ(w, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(c.join("k", 7, 2), o::leader); // free again
  EXPECT_EQ(c.joined_total(), 2u);
  EXPECT_EQ(c.join("k", 8, 2), o::joined);
  EXPECT_EQ(c.join("k", 9, 2), o::joined);
  int got = 0;
  EXPECT_FALSE(c.take(
    "k", [](int w) { return w == 7; }, got)); // leader
  EXPECT_TRUE(c.take(
    "k", [](int w) { return w == 9; }, got));
  EXPECT_EQ(got, 9);
  EXPECT_EQ(c.finish("k"), (std::vector<int>{7, 8}));
}

TEST(ResponseParser, StreamingTakesTheBodyInPiecesAndStillLimitsIt) {
  response_limits lim;
  lim.max_body_bytes = 10;
  response_parser p(false, lim);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "4\r\nabcd\r\n"),
            res::need_more);
  EXPECT_TRUE(p.head_complete());
  EXPECT_EQ(p.content_length(), -1);
  EXPECT_EQ(p.take_body(), "abcd");
  EXPECT_EQ(p.feed("4\r\nefgh\r\n"), res::need_more);
  EXPECT_EQ(p.take_body(), "efgh");
  // taken bytes still count: 8 + 4 > 10
  EXPECT_EQ(p.feed("4\r\nijkl\r\n"), res::error);
  EXPECT_EQ(p.error(), "response body over the limit");

  response_parser q(false, lim);
  EXPECT_EQ(q.feed("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc"),
            res::need_more);
  EXPECT_EQ(q.content_length(), 6);
  EXPECT_EQ(q.take_body(), "abc");
  EXPECT_EQ(q.feed("def"), res::done);
  EXPECT_EQ(q.take_body(), "def");

  response_parser c(false, lim); // close-delimited, over the limit
  EXPECT_EQ(c.feed("HTTP/1.0 200 OK\r\n\r\n123456"), res::need_more);
  c.take_body();
  EXPECT_EQ(c.feed("78901"), res::error);

  response_parser h(false);
  EXPECT_EQ(h.feed("HTTP/1.1 100 Continue\r\n\r\n"), res::need_more);
  EXPECT_FALSE(h.head_complete()); // an interim answer is not the head
}

TEST(ResponseParser, SwitchingProtocolsKeepsTheBytesAfterIt) {
  response_parser p(false);
  EXPECT_EQ(p.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\n\r\n\x81\x02hi"),
            res::done);
  EXPECT_EQ(p.response().status, 101);
  EXPECT_TRUE(p.head_complete());
  EXPECT_EQ(p.take_rest(), "\x81\x02hi"); // the upstream's first frame
  EXPECT_EQ(p.take_rest(), "");
}
