/// RFC 6455 codec and session: good frames, fragmentation, control frames,
/// close handshake, and a block of malformed inputs with their close codes.

#include <gtest/gtest.h>

#include "protocols/websocket/ws_session.hpp"

using namespace themis::ws;

namespace {

/// A masked client frame (mask 0x37fa213d as in RFC 6455 §5.7).
std::string client_frame(uint8_t b0, std::string_view payload,
                         int force_len_bytes = 0) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  auto n = payload.size();
  if (n < 126 && force_len_bytes == 0) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF && force_len_bytes != 8) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>((uint64_t(n) >> (i * 8)) & 0xFF));
  }
  const char mask[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};
  out.append(mask, 4);
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return out;
}

struct peer : ws_callbacks {
  std::vector<std::string> texts;
  std::string sent;
  bool closed = false;
  void on_text(std::string m) override { texts.push_back(std::move(m)); }
  void send(std::string b) override { sent += b; }
  void close_transport() override { closed = true; }
  /// Close code of the first close frame sent, or 0.
  int sent_close_code() const {
    for (size_t i = 0; i + 3 < sent.size();) {
      auto op = static_cast<uint8_t>(sent[i]) & 0x0F;
      size_t len = static_cast<uint8_t>(sent[i + 1]) & 0x7F;
      if (op == 0x8)
        return len >= 2 ? (static_cast<uint8_t>(sent[i + 2]) << 8) |
                            static_cast<uint8_t>(sent[i + 3])
                        : 1005;
      i += 2 + len;
    }
    return 0;
  }
};

} // namespace

TEST(ws_codec, rfc_example_masked_hello) {
  // RFC 6455 §5.7: a single-frame masked text message "Hello"
  const unsigned char bytes[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  frame f;
  auto r = decode_frame(
    std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)), {},
    f);
  ASSERT_EQ(r.status, decode_status::ok);
  EXPECT_EQ(r.consumed, sizeof(bytes));
  EXPECT_EQ(f.payload, "Hello");
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.op, opcode::text);
}

TEST(ws_codec, server_frames_are_unmasked_with_right_lengths) {
  std::string out;
  encode_frame(opcode::text, "Hello", true, out);
  EXPECT_EQ(out, std::string("\x81\x05Hello", 7));
  out.clear();
  encode_frame(opcode::binary, std::string(300, 'a'), true, out);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 126);
  EXPECT_EQ(out.size(), 4u + 300u);
  out.clear();
  encode_frame(opcode::binary, std::string(70000, 'a'), true, out);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 127);
  EXPECT_EQ(out.size(), 10u + 70000u);
}

TEST(ws_codec, accept_key_matches_rfc_example) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(valid_client_key("short=="));
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ!="));
}

TEST(ws_codec, utf8_validation) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xce"));             // truncated
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(ws_session, fragmented_text_with_interleaved_ping) {
  peer p;
  ws_session s({}, p);
  s.on_data(client_frame(0x01, "Hel"));   // text, not final
  s.on_data(client_frame(0x89, "ping!")); // ping in between
  s.on_data(client_frame(0x80, "lo"));    // final continuation
  ASSERT_EQ(p.texts.size(), 1u);
  EXPECT_EQ(p.texts[0], "Hello");
  EXPECT_EQ(p.sent, std::string("\x8a\x05ping!", 7)); // pong echoes
}

TEST(ws_session, byte_by_byte_input) {
  peer p;
  ws_session s({}, p);
  auto bytes = client_frame(0x81, std::string(200, 'z'));
  for (char c : bytes)
    s.on_data(std::string_view(&c, 1));
  ASSERT_EQ(p.texts.size(), 1u);
  EXPECT_EQ(p.texts[0].size(), 200u);
}

TEST(ws_session, close_handshake_echoes_code) {
  peer p;
  ws_session s({}, p);
  s.on_data(client_frame(0x88, std::string("\x03\xe8"
                                           "bye",
                                           5)));
  EXPECT_EQ(p.sent_close_code(), 1000);
  EXPECT_TRUE(p.closed);
  // server-initiated: closes the transport when the peer answers
  peer q;
  ws_session t({}, q);
  t.close(1011, "overflow last_sequence=7");
  EXPECT_EQ(q.sent_close_code(), 1011);
  EXPECT_FALSE(q.closed);
  t.on_data(client_frame(0x88, std::string("\x03\xf3", 2)));
  EXPECT_TRUE(q.closed);
}

TEST(ws_session_bad_input, each_error_gets_its_close_code) {
  struct bad {
    const char* name;
    std::string bytes;
    int code;
  };
  std::string unmasked = "\x81\x02hi";
  std::vector<bad> cases = {
    {"unmasked client frame", unmasked, 1002},
    {"reserved bit", client_frame(0xC1, "x"), 1002},
    {"reserved opcode", client_frame(0x83, "x"), 1002},
    {"fragmented ping", client_frame(0x09, "x"), 1002},
    {"control frame over 125", client_frame(0x89, std::string(126, 'p')), 1002},
    {"continuation first", client_frame(0x80, "x"), 1002},
    {"new message inside fragments",
     client_frame(0x01, "a") + client_frame(0x81, "b"), 1002},
    {"invalid utf8 text", client_frame(0x81, "\xc0\xaf"), 1007},
    {"invalid utf8 across fragments",
     client_frame(0x01, "\xce") + client_frame(0x80, "x"), 1007},
    {"binary message", client_frame(0x82, "bin"), 1003},
    {"close with one byte", client_frame(0x88, "x"), 1002},
    {"close with bad code", client_frame(0x88, std::string("\x03\xed", 2)),
     1002},
    {"close reason not utf8",
     client_frame(0x88, std::string("\x03\xe8\xc0\xaf", 4)), 1007},
    {"64-bit length with high bit",
     std::string("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x01", 10), 1002},
  };
  for (auto& c : cases) {
    peer p;
    ws_session s({}, p);
    s.on_data(c.bytes);
    EXPECT_EQ(p.sent_close_code(), c.code) << c.name;
    EXPECT_TRUE(p.closed) << c.name;
    EXPECT_TRUE(p.texts.empty()) << c.name;
  }
  ws_options small;
  small.max_message = 10;
  peer p;
  ws_session s(small, p);
  s.on_data(client_frame(0x01, "123456") + client_frame(0x80, "789012"));
  EXPECT_EQ(p.sent_close_code(), 1009);
}

TEST(ws_session_bad_input, random_bytes_never_crash) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int round = 0; round < 3000; ++round) {
    peer p;
    ws_options o;
    o.max_message = 64;
    o.limits.max_frame_payload = 64;
    ws_session s(o, p);
    std::string input;
    auto len = next() % 200;
    for (size_t i = 0; i < len; ++i)
      input.push_back(static_cast<char>(next() & 0xff));
    size_t off = 0;
    while (off < input.size() && !p.closed) {
      auto n = 1 + next() % 16;
      s.on_data(std::string_view(input).substr(off, n));
      off += n;
    }
  }
}
