/// h3_endpoint: what happens to a datagram before any connection exists
/// (routing by connection ID, accept, Retry round trip, Version
/// Negotiation, Stateless Reset and its bounds, garbage).

#include <gtest/gtest.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <set>

#include "protocols/http3/h3_endpoint.hpp"
#include "tests/unit/http3/h3_packets.hpp"

using namespace themis::http3;
using namespace themis::http3::testing;

namespace {

const std::string local = addr("127.0.0.1", 8443);
const std::string client = addr("127.0.0.1", 40000);
const std::string dcid8 = "\x01\x02\x03\x04\x05\x06\x07\x08";
const std::string scid8 = "\x11\x12\x13\x14\x15\x16\x17\x18";

struct endpoint_test : ::testing::Test {
  h3_endpoint ep{endpoint_options{std::string(32, 's'), 10'000'000'000ull, 3}};
  std::set<std::string> table;
  std::function<bool(std::string_view)> known = [this](std::string_view c) {
    return table.count(std::string(c)) > 0;
  };
  uint64_t now = 5'000'000'000ull;
  uint64_t wall = 1'700'000'000'000'000'000ull;
  dispatch run(const std::string& pkt, bool retry = false,
               const std::string& from = client) {
    return ep.classify(pkt, local, from, known, retry, now, wall);
  }
};

TEST_F(endpoint_test, garbage_is_dropped) {
  EXPECT_EQ(run("").what, dispatch::drop);
  EXPECT_EQ(run("\xc0").what, dispatch::drop);
  EXPECT_EQ(run(std::string("\xc0\x00\x00\x00\x01\x30", 6)).what,
            dispatch::drop); // DCID longer than the packet
  EXPECT_EQ(run(std::string(70000, 'x')).what, dispatch::drop);
  // a truncated Initial and a too-small one are not accepted
  auto full = initial(dcid8, scid8);
  EXPECT_EQ(run(full.substr(0, 40)).what, dispatch::drop);
  EXPECT_EQ(run(initial(dcid8, scid8, "", 1, 600)).what, dispatch::drop);
  // a bad sockaddr length
  EXPECT_EQ(
    ep.classify(full, local, std::string(500, 'a'), known, false, now, wall)
      .what,
    dispatch::drop);
}

TEST_F(endpoint_test, initial_is_accepted_and_known_ids_are_routed) {
  auto d = run(initial(dcid8, scid8));
  ASSERT_EQ(d.what, dispatch::accept) << d.why;
  EXPECT_EQ(d.initial.dcid, dcid8);
  EXPECT_EQ(d.initial.scid, scid8);
  EXPECT_EQ(d.initial.version, 1u);
  EXPECT_TRUE(d.initial.ocid.empty());
  EXPECT_EQ(d.dcid, dcid8);
  table.insert(dcid8);
  auto r = run(initial(dcid8, scid8));
  EXPECT_EQ(r.what, dispatch::route);
  EXPECT_EQ(r.dcid, dcid8);
  std::string ours(server_cid_len, '\x42');
  table.insert(ours);
  EXPECT_EQ(run(short_packet(ours, 40)).what, dispatch::route);
}

TEST_F(endpoint_test, unknown_version_gets_version_negotiation) {
  auto d = run(initial(dcid8, scid8, "", 0x1a2a3a4a));
  ASSERT_EQ(d.what, dispatch::reply) << d.why;
  ASSERT_GE(d.packet.size(), 7u);
  EXPECT_TRUE(static_cast<uint8_t>(d.packet[0]) & 0x80);
  EXPECT_EQ(d.packet.substr(1, 4), std::string(4, '\0'));
  // the client's IDs swapped (RFC 9000 §17.2.1)
  EXPECT_EQ(d.packet.substr(6, 8), scid8);
  EXPECT_NE(d.packet.find(std::string("\0\0\0\1", 4), 6), std::string::npos);
  // a small datagram is not answered (no amplification)
  EXPECT_EQ(run(initial(dcid8, scid8, "", 0x1a2a3a4a).substr(0, 100)).what,
            dispatch::drop);
}

TEST_F(endpoint_test, stateless_reset_is_smaller_and_rate_limited) {
  std::string gone(server_cid_len, '\x77');
  auto probe = short_packet(gone, 60);
  auto d = run(probe);
  ASSERT_EQ(d.what, dispatch::reply) << d.why;
  EXPECT_TRUE(d.reset);
  EXPECT_LT(d.packet.size(), probe.size());
  EXPECT_EQ(static_cast<uint8_t>(d.packet[0]) & 0xc0, 0x40);
  // the token is the one we gave for that ID: the last 16 bytes
  uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, reinterpret_cast<const uint8_t*>(gone.data()),
                  gone.size());
  std::string secret(32, 's');
  ASSERT_EQ(ngtcp2_crypto_generate_stateless_reset_token(
              token, reinterpret_cast<const uint8_t*>(secret.data()),
              secret.size(), &cid),
            0);
  EXPECT_EQ(d.packet.substr(d.packet.size() - 16),
            std::string(reinterpret_cast<char*>(token), 16));
  // too small to answer smaller, or too many this second
  EXPECT_EQ(run(short_packet(gone, 3)).what, dispatch::drop);
  EXPECT_EQ(run(probe).what, dispatch::reply);
  EXPECT_EQ(run(probe).what, dispatch::reply);
  EXPECT_EQ(run(probe).what, dispatch::drop); // (limit 3 per second)
  now += 1'000'000'000ull;
  EXPECT_EQ(run(probe).what, dispatch::reply);
}

TEST_F(endpoint_test, retry_round_trip) {
  auto d = run(initial(dcid8, scid8), true);
  ASSERT_EQ(d.what, dispatch::reply) << d.why;
  ASSERT_TRUE(d.retry);
  ngtcp2_pkt_hd hd;
  ASSERT_GT(
    ngtcp2_pkt_decode_hd_long(
      &hd, reinterpret_cast<const uint8_t*>(d.packet.data()), d.packet.size()),
    0);
  EXPECT_EQ(hd.type, NGTCP2_PKT_RETRY);
  std::string new_dcid(reinterpret_cast<const char*>(hd.scid.data),
                       hd.scid.datalen);
  // the Retry's token sits between the header and the 16-byte tag
  size_t hdr = 1 + 4 + 1 + scid8.size() + 1 + new_dcid.size();
  std::string token = d.packet.substr(hdr, d.packet.size() - hdr - 16);
  ASSERT_FALSE(token.empty());
  auto a = run(initial(new_dcid, scid8, token), true);
  ASSERT_EQ(a.what, dispatch::accept) << a.why;
  EXPECT_EQ(a.initial.ocid, dcid8);
  EXPECT_EQ(a.initial.dcid, new_dcid);
  // bound to the address it was issued to, and tamper-evident
  EXPECT_EQ(
    run(initial(new_dcid, scid8, token), true, addr("127.0.0.2", 40000)).what,
    dispatch::drop);
  auto bad = token;
  bad[bad.size() / 2] ^= 1;
  EXPECT_EQ(run(initial(new_dcid, scid8, bad), true).what, dispatch::drop);
  // and it expires
  wall += 11'000'000'000ull;
  EXPECT_EQ(run(initial(new_dcid, scid8, token), true).what, dispatch::drop);
}

} // namespace
