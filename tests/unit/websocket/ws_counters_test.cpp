/// The WebSocket message counters behind themis_websocket_messages_*_total
/// (issue 29's WebSocket chart): whole data messages in and out are
/// counted, fragments once, control frames and refused messages never.

#include <gtest/gtest.h>

#include "protocols/websocket/ws_session.hpp"

using namespace themis::ws;

namespace {

std::string client_frame(uint8_t b0, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  out.push_back(static_cast<char>(0x80 | payload.size())); // < 126 here
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  out.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return out;
}

struct peer : ws_callbacks {
  int texts = 0, binaries = 0;
  void on_text(std::string) override { ++texts; }
  void on_binary(std::string) override { ++binaries; }
  void send(std::string) override {}
  void close_transport() override {}
};

} // namespace

TEST(ws_counters, whole_data_messages_in_and_out) {
  ws_message_counters c;
  peer p;
  ws_options o;
  o.counters = &c;
  ws_session s(o, p);
  s.on_data(client_frame(0x81, "one"));
  s.on_data(client_frame(0x01, "tw")); // a fragmented message counts once
  s.on_data(client_frame(0x89, "ping"));
  s.on_data(client_frame(0x80, "o"));
  s.on_data(client_frame(0x8A, "pong")); // unsolicited pong: ignored
  EXPECT_EQ(p.texts, 2);
  EXPECT_EQ(c.received.load(), 2u);
  EXPECT_EQ(c.sent.load(), 0u); // the pong answering the ping is control
  s.send_text("a");
  s.send_text(std::string(300, 'b'));
  s.send_ping("x");
  EXPECT_EQ(c.sent.load(), 2u);
  s.close(1000, "bye");
  s.send_text("after close"); // not sent, not counted
  EXPECT_EQ(c.sent.load(), 2u);
}

TEST(ws_counters, refused_messages_are_not_counted) {
  ws_message_counters c;
  peer p;
  ws_options o;
  o.counters = &c;
  ws_session s(o, p);
  s.on_data(client_frame(0x81, "\xff\xfe")); // not UTF-8: 1007
  EXPECT_EQ(c.received.load(), 0u);
  peer q;
  ws_options bin;
  bin.accept_text = false;
  bin.accept_binary = true;
  ws_session t(bin, q);
  t.count_into(&c); // counted from now on (a channel learns its endpoint late)
  t.on_data(client_frame(0x82, "\x10\x00"));
  EXPECT_EQ(q.binaries, 1);
  EXPECT_EQ(c.received.load(), 1u);
  t.on_data(client_frame(0x81, "text")); // text on a binary endpoint: 1003
  EXPECT_EQ(c.received.load(), 1u);
}

TEST(ws_counters, no_counters_no_counting) {
  peer p;
  ws_session s({}, p);
  s.on_data(client_frame(0x81, "x"));
  s.send_text("y");
  EXPECT_EQ(p.texts, 1);
}
