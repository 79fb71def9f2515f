#include <gtest/gtest.h>

#include "protocols/mqtt/mqtt_codec.hpp"

using namespace themis::mqtt;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b)
    s.push_back(static_cast<char>(x));
  return s;
}

decode_result dec(const std::string& in, uint8_t version, packet& p) {
  codec_limits lim;
  return decode(in, version, lim, p);
}

} // namespace

TEST(mqtt_codec, connect_3_1_1_with_will_user_and_password) {
  auto in = bytes({0x10, 0x25,                           // CONNECT, 37 bytes
                   0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, // protocol, level 4
                   0xEE,       // user, pw, will retain, QoS 1, will, clean
                   0x00, 0x3C, // keep alive 60
                   0x00, 0x03, 'c', 'i', 'd',        // client id
                   0x00, 0x03, 'w', '/', 't',        // will topic
                   0x00, 0x03, 'b', 'y', 'e',        // will payload
                   0x00, 0x04, 'u', 's', 'e', 'r',   // user name
                   0x00, 0x04, 'p', 'a', 's', 's'}); // password
  packet p;
  auto r = dec(in, 0, p);
  ASSERT_EQ(r.status, decode_status::ok) << r.what;
  EXPECT_EQ(r.consumed, in.size());
  auto& c = p.connect;
  EXPECT_EQ(c.version, 4);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.client_id, "cid");
  ASSERT_TRUE(c.will);
  EXPECT_EQ(c.will->topic, "w/t");
  EXPECT_EQ(c.will->payload, "bye");
  EXPECT_EQ(c.will->qos, 1);
  EXPECT_TRUE(c.will->retain);
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.password, "pass");
  // and back: the encoder writes the same bytes
  std::string out;
  encode(p, 4, out);
  EXPECT_EQ(out, in);
}

TEST(mqtt_codec, connect_5_with_properties) {
  packet p;
  p.type = packet_type::connect;
  p.connect.version = 5;
  p.connect.client_id = "dev-1";
  p.connect.props.session_expiry = 3600;
  p.connect.props.receive_maximum = 10;
  p.connect.props.topic_alias_maximum = 5;
  p.connect.props.user.push_back({"k", "v"});
  will_message w;
  w.topic = "dev/1/status";
  w.payload = "offline";
  w.props.will_delay = 5;
  w.props.content_type = "text/plain";
  p.connect.will = w;
  std::string wire;
  encode(p, 5, wire);
  packet q;
  auto r = dec(wire, 0, q);
  ASSERT_EQ(r.status, decode_status::ok) << r.what;
  EXPECT_EQ(q.connect.version, 5);
  EXPECT_EQ(q.connect.props.session_expiry, 3600u);
  EXPECT_EQ(q.connect.props.receive_maximum, 10);
  EXPECT_EQ(q.connect.props.user.size(), 1u);
  ASSERT_TRUE(q.connect.will);
  EXPECT_EQ(q.connect.will->props.will_delay, 5u);
  EXPECT_EQ(q.connect.will->props.content_type, "text/plain");
}

TEST(mqtt_codec, publish_qos_and_properties_round_trip) {
  for (uint8_t v : {4, 5})
    for (uint8_t qos : {0, 1, 2}) {
      packet p;
      p.type = packet_type::publish;
      p.publish.qos = qos;
      p.publish.retain = true;
      p.publish.topic = "a/b";
      p.publish.packet_id = qos ? 7 : 0;
      p.publish.payload = std::string("\0\1\2payload", 10);
      if (v == 5) {
        p.publish.props.message_expiry = 30;
        p.publish.props.response_topic = "r";
        p.publish.props.correlation_data = std::string("\0x", 2);
      }
      std::string wire;
      encode(p, v, wire);
      packet q;
      auto r = dec(wire, v, q);
      ASSERT_EQ(r.status, decode_status::ok) << r.what;
      EXPECT_EQ(q.publish.qos, qos);
      EXPECT_TRUE(q.publish.retain);
      EXPECT_EQ(q.publish.topic, "a/b");
      EXPECT_EQ(q.publish.packet_id, qos ? 7 : 0);
      EXPECT_EQ(q.publish.payload, p.publish.payload);
      if (v == 5)
        EXPECT_EQ(q.publish.props.correlation_data, std::string("\0x", 2));
    }
}

TEST(mqtt_codec, subscribe_options_and_acks) {
  // SUBSCRIBE (5.0): id 10, subscription identifier 3, two filters
  auto in = bytes({0x82, 0x11, 0x00, 0x0A,            // id 10
                   0x02, 0x0B, 0x03,                  // props: sub id 3
                   0x00, 0x03, 'a', '/', '#', 0x2D,   // QoS1, NL, RAP, RH 2
                   0x00, 0x03, 'b', '/', '+', 0x02}); // QoS 2
  packet p;
  auto r = dec(in, 5, p);
  ASSERT_EQ(r.status, decode_status::ok) << r.what;
  auto& s = p.subscribe;
  EXPECT_EQ(s.packet_id, 10);
  ASSERT_EQ(s.props.subscription_ids.size(), 1u);
  EXPECT_EQ(s.props.subscription_ids[0], 3u);
  ASSERT_EQ(s.topics.size(), 2u);
  EXPECT_EQ(s.topics[0].qos, 1);
  EXPECT_TRUE(s.topics[0].no_local);
  EXPECT_TRUE(s.topics[0].retain_as_published);
  EXPECT_EQ(s.topics[0].retain_handling, 2);
  EXPECT_EQ(s.topics[1].qos, 2);
  packet ack;
  ack.type = packet_type::suback;
  ack.sub_ack.packet_id = 10;
  ack.sub_ack.codes = {1, 0x87};
  std::string out;
  encode(ack, 5, out);
  EXPECT_EQ(out, bytes({0x90, 0x05, 0x00, 0x0A, 0x00, 0x01, 0x87}));
  out.clear();
  encode(ack, 4, out);
  EXPECT_EQ(out, bytes({0x90, 0x04, 0x00, 0x0A, 0x01, 0x87}));
  // PUBACK with a reason in 5.0; 2 bytes in 3.1.1
  packet pa;
  pa.type = packet_type::puback;
  pa.ack.type = packet_type::puback;
  pa.ack.packet_id = 5;
  pa.ack.code = reason::not_authorized;
  out.clear();
  encode(pa, 5, out);
  EXPECT_EQ(out, bytes({0x40, 0x03, 0x00, 0x05, 0x87}));
  pa.ack.code = 0;
  out.clear();
  encode(pa, 5, out);
  EXPECT_EQ(out, bytes({0x40, 0x02, 0x00, 0x05}));
}

TEST(mqtt_codec, partial_input_needs_more) {
  packet p;
  p.type = packet_type::publish;
  p.publish.topic = "t";
  p.publish.payload = std::string(300, 'x'); // two-byte remaining length
  std::string wire;
  encode(p, 4, wire);
  for (size_t n = 0; n < wire.size(); ++n) {
    packet q;
    EXPECT_EQ(dec(wire.substr(0, n), 4, q).status, decode_status::need_more)
      << n;
  }
  packet q;
  EXPECT_EQ(dec(wire + "\xC0", 4, q).consumed, wire.size());
}

TEST(mqtt_codec, topics_and_filters) {
  EXPECT_TRUE(valid_topic_filter("a/+/c"));
  EXPECT_TRUE(valid_topic_filter("#"));
  EXPECT_TRUE(valid_topic_filter("a/#"));
  EXPECT_TRUE(valid_topic_filter("+"));
  EXPECT_FALSE(valid_topic_filter("a/#/c"));
  EXPECT_FALSE(valid_topic_filter("a+/b"));
  EXPECT_FALSE(valid_topic_filter("a/b#"));
  EXPECT_FALSE(valid_topic_filter(""));
  EXPECT_FALSE(valid_topic_name("a/+"));
  EXPECT_TRUE(topic_matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
  EXPECT_TRUE(topic_matches("+/+", "/x"));
  EXPECT_TRUE(topic_matches("+", ""));
  EXPECT_FALSE(topic_matches("a/+", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/b", "a"));
  EXPECT_FALSE(topic_matches("#", "$SYS/x"));
  EXPECT_FALSE(topic_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/x"));
  std::string g, f;
  EXPECT_TRUE(split_shared("$share/g1/a/+", g, f));
  EXPECT_EQ(g, "g1");
  EXPECT_EQ(f, "a/+");
  EXPECT_FALSE(split_shared("$share//a", g, f));
  EXPECT_FALSE(split_shared("$share/g", g, f));
}

TEST(mqtt_codec, utf8_rules) {
  EXPECT_TRUE(valid_utf8("h\xC3\xA9llo"));
  EXPECT_FALSE(valid_utf8(std::string("a\0b", 3))); // U+0000
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));         // surrogate
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));             // overlong
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));     // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE2\x82"));             // truncated
}
