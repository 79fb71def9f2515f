/// permessage-deflate (RFC 7692): offer negotiation (accepted, declined
/// for bad parameters, next offer tried), the codec round trip with and
/// without context takeover, RFC 7692 §7.2.3's examples, the bound on
/// decompressed size, malformed compressed data, and the session's RSV1
/// rules.

#include <gtest/gtest.h>
#include <random>

#include "protocols/websocket/permessage_deflate.hpp"
#include "protocols/websocket/ws_session.hpp"

using namespace themis::ws;

namespace {

std::string client_frame(uint8_t b0, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>((uint64_t(n) >> (i * 8)) & 0xFF));
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  out.append(mask, 4);
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return out;
}

struct peer : ws_callbacks {
  std::vector<std::string> texts, binaries;
  std::string sent;
  bool closed = false;
  void on_text(std::string m) override { texts.push_back(std::move(m)); }
  void on_binary(std::string m) override { binaries.push_back(std::move(m)); }
  void send(std::string b) override { sent += b; }
  void close_transport() override { closed = true; }
  int close_code() const {
    for (size_t i = 0; i + 1 < sent.size();) {
      auto op = static_cast<uint8_t>(sent[i]) & 0x0F;
      size_t len = static_cast<uint8_t>(sent[i + 1]) & 0x7F;
      size_t hdr = 2;
      if (len == 126) {
        len = (static_cast<uint8_t>(sent[i + 2]) << 8) |
              static_cast<uint8_t>(sent[i + 3]);
        hdr = 4;
      }
      if (op == 0x8)
        return len >= 2 ? (static_cast<uint8_t>(sent[i + hdr]) << 8) |
                            static_cast<uint8_t>(sent[i + hdr + 1])
                        : 1005;
      i += hdr + len;
    }
    return 0;
  }
};

ws_options deflate_opts(deflate_params p = {}) {
  ws_options o;
  o.deflate = p;
  o.accept_binary = true;
  return o;
}

} // namespace

TEST(pmd_negotiation, plain_offer_accepted) {
  auto n = negotiate_deflate("permessage-deflate", {});
  ASSERT_TRUE(n.params);
  EXPECT_EQ(n.response, "permessage-deflate");
}

TEST(pmd_negotiation, parameters_echoed) {
  auto n = negotiate_deflate(
    "permessage-deflate; client_max_window_bits; server_no_context_takeover; "
    "client_no_context_takeover; server_max_window_bits=10",
    {});
  ASSERT_TRUE(n.params);
  EXPECT_TRUE(n.params->server_no_context_takeover);
  EXPECT_TRUE(n.params->client_no_context_takeover);
  EXPECT_EQ(n.params->server_max_window_bits, 10);
  EXPECT_EQ(n.response,
            "permessage-deflate; server_no_context_takeover; "
            "client_no_context_takeover; server_max_window_bits=10");
}

TEST(pmd_negotiation, quoted_value) {
  auto n =
    negotiate_deflate("permessage-deflate; server_max_window_bits=\"12\"", {});
  ASSERT_TRUE(n.params);
  EXPECT_EQ(n.params->server_max_window_bits, 12);
}

TEST(pmd_negotiation, bad_offers_declined_next_tried) {
  for (auto bad : {"permessage-deflate; server_max_window_bits",
                   "permessage-deflate; server_max_window_bits=16",
                   "permessage-deflate; server_max_window_bits=7",
                   "permessage-deflate; server_max_window_bits=08",
                   "permessage-deflate; server_max_window_bits=8",
                   "permessage-deflate; client_max_window_bits=x",
                   "permessage-deflate; server_no_context_takeover=1",
                   "permessage-deflate; unknown_param",
                   "permessage-deflate; client_no_context_takeover; "
                   "client_no_context_takeover"}) {
    EXPECT_FALSE(negotiate_deflate(bad, {}).params) << bad;
    auto n = negotiate_deflate(std::string(bad) + ", permessage-deflate", {});
    ASSERT_TRUE(n.params) << bad;
    EXPECT_EQ(n.response, "permessage-deflate");
  }
}

TEST(pmd_negotiation, other_extensions_and_disabled) {
  EXPECT_FALSE(negotiate_deflate("x-webkit-deflate-frame", {}).params);
  EXPECT_FALSE(negotiate_deflate("", {}).params);
  deflate_config off;
  off.enabled = false;
  EXPECT_FALSE(negotiate_deflate("permessage-deflate", off).params);
  deflate_config reset;
  reset.server_no_context_takeover = true;
  EXPECT_EQ(negotiate_deflate("permessage-deflate", reset).response,
            "permessage-deflate; server_no_context_takeover");
  EXPECT_FALSE(negotiate_deflate(std::string(5000, ','), {}).params);
}

TEST(pmd_codec, rfc7692_example_hello) {
  // §7.2.3.1: "Hello" compressed with one block
  deflate_codec c({});
  std::string out;
  ASSERT_EQ(
    c.decompress(std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7), 1000, out),
    deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, "Hello");
  // §7.2.3.2: the same message again, referring to the first (takeover)
  ASSERT_EQ(c.decompress(std::string("\xf2\x00\x11\x00\x00", 5), 1000, out),
            deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, "Hello");
}

TEST(pmd_codec, rfc7692_example_bfinal) {
  // §7.2.3.4: a final block (BFINAL set), the next message a new stream
  deflate_codec c({});
  std::string out;
  ASSERT_EQ(
    c.decompress(std::string("\xf3\x48\xcd\xc9\xc9\x07\x00", 7), 1000, out),
    deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, "Hello");
  ASSERT_EQ(
    c.decompress(std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7), 1000, out),
    deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, "Hello");
}

TEST(pmd_codec, round_trip_with_and_without_takeover) {
  for (bool reset : {false, true}) {
    deflate_params p;
    p.server_no_context_takeover = reset;
    deflate_codec server(p), client(p);
    std::string msg(3000, 'a');
    for (size_t i = 0; i < msg.size(); i += 7)
      msg[i] = static_cast<char>('a' + i % 26);
    size_t first = 0;
    for (int i = 0; i < 3; ++i) {
      auto z = server.compress(msg);
      if (i == 0) {
        first = z.size();
      } else if (!reset) {
        EXPECT_LT(z.size(), first); // refers back to the last message
      }
      std::string out;
      ASSERT_EQ(client.decompress(z, 1 << 20, out),
                deflate_codec::inflate_status::ok);
      EXPECT_EQ(out, msg);
    }
  }
}

TEST(pmd_codec, small_window_round_trip) {
  deflate_params p;
  p.server_max_window_bits = 9;
  deflate_codec server(p), client({});
  std::mt19937 rng(7);
  std::string msg;
  for (int i = 0; i < 5000; ++i)
    msg.push_back(static_cast<char>('a' + rng() % 4));
  std::string out;
  ASSERT_EQ(client.decompress(server.compress(msg), 1 << 20, out),
            deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, msg);
}

TEST(pmd_codec, bomb_is_bounded) {
  deflate_codec server({}), client({});
  auto z = server.compress(std::string(10u << 20, '\0')); // ~10 KiB
  EXPECT_LT(z.size(), 64u << 10);
  std::string out;
  EXPECT_EQ(client.decompress(z, 1u << 20, out),
            deflate_codec::inflate_status::too_big);
  EXPECT_LE(out.size(), 1u << 20);
}

TEST(pmd_codec, malformed_input) {
  deflate_codec c({});
  std::string out;
  // BTYPE=11 (reserved) is invalid
  EXPECT_EQ(c.decompress("\xff\xff\xff", 1000, out),
            deflate_codec::inflate_status::corrupt);
  // random garbage: corrupt or ok, never a crash, bounded
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    deflate_codec d({});
    std::string in;
    for (int k = rng() % 64; k > 0; --k)
      in.push_back(static_cast<char>(rng()));
    auto st = d.decompress(in, 4096, out);
    EXPECT_LE(out.size(), 4096u);
    (void)st;
  }
}

TEST(pmd_session, compressed_text_and_binary_messages) {
  peer p;
  ws_session s(deflate_opts(), p);
  deflate_codec client({});
  s.on_data(client_frame(0xC1, client.compress("hello deflate")));
  s.on_data(
    client_frame(0xC2, client.compress(std::string("\x00\x01\x02", 3))));
  s.on_data(client_frame(0x81, "plain")); // a message may go uncompressed
  ASSERT_EQ(p.texts.size(), 2u);
  EXPECT_EQ(p.texts[0], "hello deflate");
  EXPECT_EQ(p.texts[1], "plain");
  ASSERT_EQ(p.binaries.size(), 1u);
  EXPECT_EQ(p.binaries[0], std::string("\x00\x01\x02", 3));
  EXPECT_FALSE(p.closed);
}

TEST(pmd_session, fragmented_compressed_message) {
  peer p;
  ws_session s(deflate_opts(), p);
  deflate_codec client({});
  auto z = client.compress(std::string(500, 'x') + "end");
  auto half = z.size() / 2;
  s.on_data(client_frame(0x41, z.substr(0, half))); // RSV1, not FIN
  s.on_data(client_frame(0x80, z.substr(half)));    // continuation, FIN
  ASSERT_EQ(p.texts.size(), 1u);
  EXPECT_EQ(p.texts[0], std::string(500, 'x') + "end");
}

TEST(pmd_session, rsv1_rules) {
  {
    peer p; // without the extension RSV1 is a protocol error
    ws_options o;
    ws_session s(o, p);
    s.on_data(client_frame(0xC1, "x"));
    EXPECT_EQ(p.close_code(), 1002);
  }
  {
    peer p; // RSV1 on a continuation
    ws_session s(deflate_opts(), p);
    s.on_data(client_frame(0x01, "a"));
    s.on_data(client_frame(0xC0, "b"));
    EXPECT_EQ(p.close_code(), 1002);
  }
  {
    peer p; // RSV1 on a control frame
    ws_session s(deflate_opts(), p);
    s.on_data(client_frame(0xC9, "p"));
    EXPECT_EQ(p.close_code(), 1002);
  }
  {
    peer p; // RSV2 stays an error
    ws_session s(deflate_opts(), p);
    s.on_data(client_frame(0xA1, "x"));
    EXPECT_EQ(p.close_code(), 1002);
  }
}

TEST(pmd_session, decompressed_bound_closes_1009) {
  peer p;
  auto o = deflate_opts();
  o.max_message = 4096;
  ws_session s(o, p);
  deflate_codec client({});
  s.on_data(client_frame(0xC1, client.compress(std::string(100000, 'a'))));
  EXPECT_EQ(p.close_code(), 1009);
  EXPECT_TRUE(p.texts.empty());
  EXPECT_TRUE(p.closed);
}

TEST(pmd_session, corrupt_data_closes_1007) {
  peer p;
  ws_session s(deflate_opts(), p);
  s.on_data(client_frame(0xC1, "\xff\xff\xff"));
  EXPECT_EQ(p.close_code(), 1007);
}

TEST(pmd_session, outgoing_messages_compressed_above_threshold) {
  peer p;
  ws_session s(deflate_opts(), p);
  s.send_text("tiny");
  EXPECT_EQ(static_cast<uint8_t>(p.sent[0]), 0x81); // no RSV1
  p.sent.clear();
  std::string big(1000, 'z');
  s.send_text(big);
  EXPECT_EQ(static_cast<uint8_t>(p.sent[0]), 0xC1); // FIN + RSV1 + text
  size_t len = static_cast<uint8_t>(p.sent[1]) & 0x7F;
  ASSERT_LT(len, 126u);
  deflate_codec client({});
  std::string out;
  ASSERT_EQ(client.decompress(p.sent.substr(2, len), 1 << 20, out),
            deflate_codec::inflate_status::ok);
  EXPECT_EQ(out, big);
}

TEST(ws_binary, binary_refused_unless_accepted_text_refused_when_off) {
  {
    peer p;
    ws_session s(ws_options{}, p);
    s.on_data(client_frame(0x82, "bin"));
    EXPECT_EQ(p.close_code(), 1003);
  }
  {
    peer p;
    ws_options o;
    o.accept_text = false;
    o.accept_binary = true;
    ws_session s(o, p);
    s.on_data(client_frame(0x82, "bin"));
    ASSERT_EQ(p.binaries.size(), 1u);
    s.on_data(client_frame(0x81, "text"));
    EXPECT_EQ(p.close_code(), 1003);
  }
}
