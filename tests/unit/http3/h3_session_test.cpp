/// h3_session without a network: set-up from a client Initial's header,
/// hostile datagrams (garbage, truncated, undecryptable, huge) that never
/// crash it, the handshake timeout that ends an idle half-open
/// connection, drain before the handshake, and credentials that fail to
/// load. (The full handshake and requests run against the real binary
/// with ngtcp2's client: tests/integration/test_http3.py.)

#include <gtest/gtest.h>
#include <random>

#include "protocols/http3/h3_session.hpp"
#include "tests/unit/http3/h3_packets.hpp"

using namespace themis;
using namespace themis::http3;
using namespace themis::http3::testing;

namespace {

std::string dir() {
  return THEMIS_H3_TEST_DIR;
}

struct fake : h3_callbacks {
  uint64_t ns = 1'000'000'000ull;
  int requests = 0;
  int sent = 0;
  bool closed = false;
  std::vector<std::string> cids;
  void on_request(uint64_t, api_request) override { ++requests; }
  void close() override { closed = true; }
  uint64_t now_ms() override { return ns / 1000000; }
  uint64_t now_ns() override { return ns; }
  void send_to(std::string_view, std::string) override { ++sent; }
  void on_cid(std::string_view c, bool added) override {
    if (added)
      cids.emplace_back(c);
  }
};

struct session_test : ::testing::Test {
  std::shared_ptr<const tls_credentials> creds;
  fake cb;
  initial_info first;
  void SetUp() override {
    std::string error;
    creds = tls_credentials::load(dir() + "/test_cert.pem",
                                  dir() + "/test_key.pem", error);
    ASSERT_TRUE(creds) << error;
    first.dcid = "\x01\x02\x03\x04\x05\x06\x07\x08";
    first.scid = "\x11\x12\x13\x14";
    first.local = addr("127.0.0.1", 8443);
    first.remote = addr("127.0.0.1", 40000);
  }
  h3_options opts() {
    h3_options o;
    o.static_secret = std::string(32, 'k');
    o.handshake_timeout_ms = 2000;
    return o;
  }
};

TEST_F(session_test, missing_credentials_fail_to_load) {
  std::string error;
  EXPECT_FALSE(tls_credentials::load("/nonexistent.pem", "/nope.pem", error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(tls_credentials::load(dir() + "/test_key.pem",
                                     dir() + "/test_cert.pem", error));
}

TEST_F(session_test, garbage_first_drops_the_connection_silently) {
  // a "connection" whose first datagram is not a client Initial: ngtcp2
  // refuses it (NGTCP2_ERR_DROP_CONN); nothing is sent, close() is called
  h3_session s(opts(), cb, creds, first);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.scid().size(), 18u);
  s.on_data(""); // (empty: ignored)
  EXPECT_FALSE(s.finished());
  s.on_data(std::string(40, '\x17'));
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(cb.closed);
  EXPECT_EQ(cb.sent, 0);
  EXPECT_EQ(s.expiry_ns(), UINT64_MAX);
  // after the end, everything is ignored
  s.on_data(initial(first.dcid, first.scid));
  s.respond(0, api_response{});
  s.stream_data(0, "x");
  s.stream_end(0);
  s.drain();
  EXPECT_EQ(cb.sent, 0);
}

TEST_F(session_test, hostile_datagrams_never_crash_it) {
  std::mt19937 rng(19);
  auto rnd = [&](size_t n) {
    std::string b(n, '\0');
    for (auto& c : b)
      c = static_cast<char>(rng());
    return b;
  };
  auto pkt = initial(first.dcid, first.scid); // undecryptable payload
  std::vector<std::string> inputs = {pkt.substr(0, 30),
                                     rnd(1),
                                     rnd(5),
                                     rnd(1199),
                                     rnd(1500),
                                     rnd(65000),
                                     short_packet(std::string(18, 'a'), 100)};
  for (size_t first_bad = 0; first_bad < inputs.size(); ++first_bad) {
    fake f;
    h3_session s(opts(), f, creds, first);
    ASSERT_TRUE(s.ok());
    s.on_data(pkt);
    for (size_t i = first_bad; i < inputs.size(); ++i)
      s.on_data(inputs[i]);
    EXPECT_EQ(f.requests, 0);
    EXPECT_FALSE(s.established());
    // whatever state it is in, the clock ends it: never a hang
    for (int i = 0; i < 200 && !s.finished(); ++i) {
      f.ns = std::max<uint64_t>(
        f.ns + 50000000ull, s.expiry_ns() == UINT64_MAX ? 0 : s.expiry_ns());
      s.on_expiry();
    }
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(f.closed);
  }
}

TEST_F(session_test, handshake_timeout_ends_a_half_open_connection) {
  h3_session s(opts(), cb, creds, first);
  s.on_data(initial(first.dcid, first.scid)); // never completes
  if (!s.finished()) {
    ASSERT_NE(s.expiry_ns(), UINT64_MAX);
    for (int i = 0; i < 200 && !s.finished(); ++i) {
      cb.ns = std::max<uint64_t>(cb.ns + 50000000ull, s.expiry_ns());
      s.on_expiry();
    }
    EXPECT_GE(cb.ns - 1000000000ull, 2000000000ull); // not before 2 s
  }
  EXPECT_TRUE(s.finished());
}

TEST_F(session_test, drain_before_the_handshake_ends_it) {
  h3_session s(opts(), cb, creds, first);
  ASSERT_TRUE(s.ok());
  s.drain();
  for (int i = 0; i < 100 && !s.finished(); ++i) {
    cb.ns += 100'000'000ull;
    s.on_expiry();
  }
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.stream_backlog(0), 0u);
}

TEST_F(session_test, unknown_streams_are_ignored) {
  h3_session s(opts(), cb, creds, first);
  api_response r;
  r.status = 200;
  s.respond(4, r); // never opened
  s.stream_data(4, "data");
  s.stream_end(4);
  EXPECT_EQ(s.stream_backlog(4), 0u);
  EXPECT_TRUE(s.multiplexed());
  EXPECT_TRUE(s.wants_read());
}

} // namespace
