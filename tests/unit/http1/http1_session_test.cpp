/// The HTTP/1.1 session driven by a recording fake: no sockets, no actors.

#include "protocols/http1/http1_session.hpp"

#include <gtest/gtest.h>

using namespace themis;
using namespace themis::http1;

namespace {

struct fake_peer : session_callbacks {
  std::vector<std::pair<uint64_t, api_request>> requests;
  std::string sent;
  bool closed = false;
  uint64_t now = 1000;

  void on_request(uint64_t id, api_request req) override {
    requests.emplace_back(id, std::move(req));
  }
  void send(std::string bytes) override { sent += bytes; }
  void close() override { closed = true; }
  uint64_t now_ms() override { return now; }
  void on_protocol_error(int status, const std::string&) override {
    errors.push_back(status);
  }
  std::vector<int> errors;
};

api_response text(int status, std::string body) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "text/plain");
  return r;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos;
       p = hay.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace

TEST(http1_session, answers_keep_alive_request) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /health?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 1u);
  EXPECT_EQ(peer.requests[0].second.path, "/health");
  EXPECT_EQ(peer.requests[0].second.query, "x=1");
  s.respond(0, text(200, "ok"));
  EXPECT_EQ(peer.sent.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(peer.sent.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(peer.sent.find("Date: "), std::string::npos);
  EXPECT_NE(peer.sent.find("Server: themisd"), std::string::npos);
  EXPECT_EQ(peer.sent.substr(peer.sent.size() - 6), "\r\n\r\nok");
  EXPECT_FALSE(peer.closed);
}

TEST(http1_session, pipelined_responses_keep_request_order) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a"
            "\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 3u);
  s.respond(2, text(200, "three"));
  s.respond(1, text(200, "two"));
  EXPECT_TRUE(peer.sent.empty()); // first still owed
  s.respond(0, text(200, "one"));
  auto p1 = peer.sent.find("one"), p2 = peer.sent.find("two"),
       p3 = peer.sent.find("three");
  ASSERT_NE(p3, std::string::npos);
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
}

TEST(http1_session, head_response_has_length_but_no_body) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
  s.respond(0, text(200, "hello"));
  EXPECT_NE(peer.sent.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_EQ(peer.sent.find("hello"), std::string::npos);
}

TEST(http1_session, connection_close_closes_after_response) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            "GET /ignored HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 1u);
  s.respond(0, text(200, "bye"));
  EXPECT_NE(peer.sent.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, expect_continue_sends_interim_response) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
            "Content-Length: 3\r\n\r\n");
  EXPECT_EQ(peer.sent, "HTTP/1.1 100 Continue\r\n\r\n");
  s.on_data("abc");
  ASSERT_EQ(peer.requests.size(), 1u);
  EXPECT_EQ(peer.requests[0].second.body, "abc");
}

TEST(http1_session, expect_continue_over_limit_gets_413_without_body) {
  fake_peer peer;
  session_options o;
  o.limits.max_body_bytes = 2;
  http1_session s(o, peer);
  s.on_data("PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
            "Content-Length: 3\r\n\r\n");
  EXPECT_EQ(peer.sent.rfind("HTTP/1.1 413 ", 0), 0u);
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, malformed_request_answered_after_owed_responses) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nBROKEN\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 1u);
  EXPECT_TRUE(peer.sent.empty());
  s.respond(0, text(200, "fine"));
  auto ok = peer.sent.find("200 OK");
  auto bad = peer.sent.find("400 Bad Request");
  ASSERT_NE(bad, std::string::npos);
  EXPECT_LT(ok, bad);
  EXPECT_NE(peer.sent.find("\"status_code\":400"), std::string::npos);
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, header_timeout_answers_408) {
  fake_peer peer;
  session_options o;
  o.header_timeout_ms = 100;
  http1_session s(o, peer);
  s.on_data("GET / HTTP/1.1\r\nHost:");
  peer.now += 50;
  s.check_timeouts();
  EXPECT_FALSE(peer.closed);
  peer.now += 60;
  s.check_timeouts();
  EXPECT_EQ(peer.sent.rfind("HTTP/1.1 408 ", 0), 0u);
  EXPECT_TRUE(peer.closed);
  EXPECT_EQ(peer.errors, std::vector<int>{408});
}

TEST(http1_session, idle_keep_alive_closes_silently) {
  fake_peer peer;
  session_options o;
  o.idle_timeout_ms = 100;
  http1_session s(o, peer);
  peer.now += 150;
  s.check_timeouts();
  EXPECT_TRUE(peer.sent.empty());
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, no_timeout_while_handler_works) {
  fake_peer peer;
  session_options o;
  o.idle_timeout_ms = 100;
  http1_session s(o, peer);
  s.on_data("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  peer.now += 1000;
  s.check_timeouts();
  EXPECT_FALSE(peer.closed);
}

TEST(http1_session, drain_closes_idle_after_grace_and_marks_last_in_flight) {
  {
    fake_peer peer;
    session_options o;
    o.drain_grace_ms = 0;
    http1_session s(o, peer);
    s.drain();
    EXPECT_TRUE(peer.closed);
  }
  {
    // idle: the grace period, then close
    fake_peer peer;
    http1_session s({}, peer);
    s.drain();
    EXPECT_FALSE(peer.closed);
    peer.now += 499;
    s.check_timeouts();
    EXPECT_FALSE(peer.closed);
    peer.now += 1;
    s.check_timeouts();
    EXPECT_TRUE(peer.closed);
  }
  {
    // a request arriving in the grace is answered, with Connection: close
    fake_peer peer;
    http1_session s({}, peer);
    s.drain();
    peer.now += 100;
    s.on_data("GET /late HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(peer.requests.size(), 1u);
    s.respond(0, text(200, "late"));
    EXPECT_EQ(count(peer.sent, "Connection: close"), 1u);
    EXPECT_TRUE(peer.closed);
  }
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data(
    "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  s.drain();
  EXPECT_FALSE(peer.closed);
  s.respond(0, text(200, "a"));
  EXPECT_EQ(count(peer.sent, "Connection: close"), 0u);
  s.respond(1, text(200, "b"));
  EXPECT_EQ(count(peer.sent, "Connection: close"), 1u);
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, pipeline_depth_limits_dispatch) {
  fake_peer peer;
  session_options o;
  o.max_pipelined = 2;
  http1_session s(o, peer);
  std::string three;
  for (int i = 0; i < 3; ++i)
    three += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  s.on_data(three);
  EXPECT_EQ(peer.requests.size(), 2u);
  EXPECT_FALSE(s.wants_read());
  s.respond(0, text(200, "x"));
  EXPECT_EQ(peer.requests.size(), 3u);
}

TEST(http1_session, percent_decoding_and_bad_targets) {
  std::string path, query;
  EXPECT_TRUE(split_target("/a%20b?q=%20", path, query));
  EXPECT_EQ(path, "/a b");
  EXPECT_EQ(query, "q=%20");
  EXPECT_TRUE(split_target("http://host:1/x?y", path, query));
  EXPECT_EQ(path, "/x");
  EXPECT_FALSE(split_target("/%zz", path, query));
  EXPECT_FALSE(split_target("/%00", path, query));
  EXPECT_FALSE(split_target("relative", path, query));
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(peer.requests.empty());
  EXPECT_EQ(peer.sent.rfind("HTTP/1.1 400 ", 0), 0u);
}

TEST(http1_session, streamed_answer_is_chunked_and_holds_the_order) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\n"
            "Host: a\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 2u);
  s.respond(1, text(200, "after"));
  api_response head;
  head.stream = true;
  head.headers.emplace_back("Content-Type", "text/event-stream");
  s.stream_data(0, "early"); // before the head: ignored (no stream yet)
  s.respond(0, head);
  EXPECT_NE(peer.sent.find("Transfer-Encoding: chunked\r\n"),
            std::string::npos);
  EXPECT_EQ(peer.sent.find("Content-Length"), std::string::npos);
  s.stream_data(0, "hello");
  s.stream_data(0, "");
  EXPECT_NE(peer.sent.find("5\r\nhello\r\n"), std::string::npos);
  EXPECT_EQ(peer.sent.find("after"), std::string::npos); // waits behind
  s.stream_end(0);
  auto end = peer.sent.find("0\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  EXPECT_GT(peer.sent.find("after"), end);
  EXPECT_FALSE(peer.closed);
}

TEST(http1_session, streamed_answer_to_http10_is_close_delimited) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /stream HTTP/1.0\r\n\r\n");
  api_response head;
  head.stream = true;
  s.respond(0, head);
  s.stream_data(0, "raw");
  EXPECT_NE(peer.sent.find("\r\n\r\nraw"), std::string::npos);
  EXPECT_FALSE(peer.closed);
  s.stream_end(0);
  EXPECT_TRUE(peer.closed);
}

namespace {

/// Answers inside on_request, as a synchronous handler does.
struct echo_peer : fake_peer {
  http1_session* session = nullptr;
  size_t answered = 0;
  void on_request(uint64_t id, api_request req) override {
    ++answered;
    session->respond(id, text(200, "x"));
  }
};

} // namespace

TEST(http1_session, synchronous_answers_do_not_recurse_per_request) {
  echo_peer peer;
  http1_session s({}, peer);
  peer.session = &s;
  std::string many;
  for (int i = 0; i < 20000; ++i)
    many += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  s.on_data(many); // a recursive design would overflow the stack here
  EXPECT_EQ(peer.answered, 20000u);
  EXPECT_EQ(count(peer.sent, "HTTP/1.1 200 OK"), 20000u);
}

TEST(http1_session, head_of_a_stream_is_complete_after_the_headers) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\n"
            "Host: a\r\n\r\n");
  api_response head;
  head.stream = true;
  s.respond(0, head);
  s.respond(1, text(200, "next"));
  EXPECT_NE(peer.sent.find("next"), std::string::npos);
  EXPECT_EQ(peer.sent.find("0\r\n\r\n"), std::string::npos);
}

TEST(http1_session, nothing_is_parsed_behind_an_open_stream) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
  api_response head;
  head.stream = true;
  s.respond(0, head);
  EXPECT_FALSE(s.wants_read());
  s.on_data("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(peer.requests.size(), 1u); // waits for the stream to end
  s.stream_end(0);
  EXPECT_EQ(peer.requests.size(), 2u);
  EXPECT_TRUE(s.wants_read());
}

TEST(http1_session, drain_answers_a_request_that_was_already_arriving) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\n"
            "Content-Length: 4\r\n\r\nab");
  ASSERT_EQ(peer.requests.size(), 1u);
  s.drain();
  s.on_data("cd"); // the POST completes after the drain began
  s.respond(0, text(200, "a"));
  EXPECT_EQ(count(peer.sent, "Connection: close"), 0u);
  ASSERT_EQ(peer.requests.size(), 2u); // answered, not dropped
  s.respond(1, text(200, "b"));
  EXPECT_EQ(count(peer.sent, "Connection: close"), 1u);
  EXPECT_TRUE(peer.closed);
}

namespace {
struct upgrade_peer : fake_peer {
  std::string leftover;
  bool upgraded = false;
  void on_upgraded(std::string rest) override {
    upgraded = true;
    leftover = std::move(rest);
  }
};
} // namespace

TEST(http1_session, upgrade_hands_over_the_following_bytes) {
  upgrade_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\n\x81\x85not-http");
  ASSERT_EQ(peer.requests.size(), 1u);
  api_response r;
  r.status = 101;
  r.set_header("Upgrade", "websocket");
  s.respond(0, r);
  EXPECT_TRUE(peer.upgraded);
  EXPECT_EQ(peer.leftover, "\x81\x85not-http");
  EXPECT_NE(peer.sent.find("HTTP/1.1 101 Switching Protocols\r\n"),
            std::string::npos);
  EXPECT_NE(peer.sent.find("Connection: Upgrade\r\n"), std::string::npos);
  EXPECT_EQ(peer.sent.find("Content-Length"), std::string::npos);
}

TEST(http1_session, refused_upgrade_continues_as_http) {
  upgrade_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n"
            "GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(peer.requests.size(), 1u);
  s.respond(0, text(200, "plain"));
  EXPECT_FALSE(peer.upgraded);
  EXPECT_EQ(peer.requests.size(), 2u);
}

TEST(http1_session, drain_after_an_answered_request_closes_after_grace) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  s.respond(0, text(200, "a"));
  EXPECT_FALSE(peer.closed);
  s.drain();
  EXPECT_FALSE(peer.closed);
  peer.now += 500;
  s.check_timeouts();
  EXPECT_TRUE(peer.closed);
}

// -- half-close (issue 17): a request then shutdown(SHUT_WR) is answered ---

TEST(http1_session, half_close_after_a_request_answers_then_closes) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
  s.on_peer_eof();
  ASSERT_EQ(peer.requests.size(), 1u); // executed, not discarded
  EXPECT_FALSE(peer.closed);           // its answer is still owed
  s.respond(0, text(201, "made"));
  EXPECT_EQ(peer.sent.rfind("HTTP/1.1 201 ", 0), 0u);
  EXPECT_NE(peer.sent.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, half_close_answers_every_pipelined_request) {
  fake_peer peer;
  http1_session s({}, peer);
  s.on_data("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a"
            "\r\n\r\n");
  s.on_peer_eof();
  ASSERT_EQ(peer.requests.size(), 2u);
  s.respond(0, text(200, "one"));
  EXPECT_FALSE(peer.closed);
  s.respond(1, text(200, "two"));
  EXPECT_EQ(count(peer.sent, "HTTP/1.1 200 OK"), 2u);
  EXPECT_EQ(count(peer.sent, "Connection: close"), 1u); // the last one
  EXPECT_TRUE(peer.closed);
}

TEST(http1_session, half_close_with_nothing_owed_or_a_cut_request_closes) {
  fake_peer idle;
  http1_session a({}, idle);
  a.on_peer_eof();
  EXPECT_TRUE(idle.closed);
  EXPECT_TRUE(idle.sent.empty());

  fake_peer cut;
  http1_session b({}, cut);
  b.on_data("GET /1 HTTP/1.1\r\nHost: a\r\n"); // never finished
  b.on_peer_eof();
  EXPECT_TRUE(cut.requests.empty());
  EXPECT_TRUE(cut.closed);
}
