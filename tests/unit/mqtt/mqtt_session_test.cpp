#include <gtest/gtest.h>

#include "protocols/mqtt/mqtt_session.hpp"

using namespace themis::mqtt;

namespace {

struct fake : session_callbacks {
  std::string out;
  bool closed = false;
  uint64_t now = 1000;
  uint8_t connect_code = 0;
  bool present = false;
  std::vector<std::pair<message, uint16_t>> published;
  int closed_calls = 0;
  bool will = false;

  void send(std::string b) override { out += b; }
  void close() override { closed = true; }
  uint64_t now_ms() override { return now; }
  uint8_t on_connect(const connect_packet&, std::string&, bool& p) override {
    p = present;
    return connect_code;
  }
  void on_publish(message m, uint16_t id) override {
    published.emplace_back(std::move(m), id);
  }
  std::vector<uint8_t> on_subscribe(const subscribe_packet& s) override {
    return std::vector<uint8_t>(s.topics.size(), 1);
  }
  std::vector<uint8_t> on_unsubscribe(const unsubscribe_packet& u) override {
    return std::vector<uint8_t>(u.filters.size(), 0);
  }
  void on_closed(bool w) override {
    ++closed_calls;
    will = w;
  }
  /// The connection's output bound, as the test sets it.
  bool writable = true;
  size_t dropped = 0;
  bool may_send() override { return writable; }
  void on_dropped(const message&) override { ++dropped; }

  /// Decodes everything sent so far (as a client would) and clears it.
  std::vector<packet> take(uint8_t version) {
    std::vector<packet> ps;
    std::string_view in(out);
    codec_limits lim;
    while (!in.empty()) {
      // decode server packets by re-framing them as client-side types
      packet p;
      auto type = static_cast<packet_type>(static_cast<uint8_t>(in[0]) >> 4);
      size_t len = 0, i = 1, shift = 0;
      while (static_cast<uint8_t>(in[i]) & 0x80)
        len |= (static_cast<uint8_t>(in[i++]) & 0x7F) << shift, shift += 7;
      len |= static_cast<uint8_t>(in[i]) << shift;
      std::string body(in.substr(i + 1, len));
      p.type = type;
      if (type == packet_type::connack) {
        p.connack.session_present = body[0] & 1;
        p.connack.code = static_cast<uint8_t>(body[1]);
      } else if (type == packet_type::puback || type == packet_type::pubrec ||
                 type == packet_type::pubrel || type == packet_type::pubcomp) {
        p.ack.packet_id = static_cast<uint16_t>(
          (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]));
        p.ack.code = body.size() > 2 ? static_cast<uint8_t>(body[2]) : 0;
      } else if (type == packet_type::publish) {
        packet q;
        decode(in.substr(0, i + 1 + len), version, lim, q);
        p = q;
      } else if (type == packet_type::disconnect) {
        p.disconnect.code = body.empty() ? 0 : static_cast<uint8_t>(body[0]);
      }
      ps.push_back(p);
      in.remove_prefix(i + 1 + len);
    }
    out.clear();
    return ps;
  }
};

std::string connect_bytes(uint8_t version, uint16_t keep_alive = 0,
                          const std::string& id = "c1", bool clean = true) {
  packet p;
  p.type = packet_type::connect;
  p.connect.version = version;
  p.connect.keep_alive = keep_alive;
  p.connect.client_id = id;
  p.connect.clean_start = clean;
  std::string s;
  encode(p, version, s);
  return s;
}

std::string publish_bytes(uint8_t version, uint8_t qos, uint16_t id,
                          const std::string& topic = "t") {
  packet p;
  p.type = packet_type::publish;
  p.publish.qos = qos;
  p.publish.packet_id = id;
  p.publish.topic = topic;
  p.publish.payload = "x";
  std::string s;
  encode(p, version, s);
  return s;
}

std::string ack_bytes(packet_type t, uint16_t id, uint8_t version = 5) {
  packet p;
  p.type = t;
  p.ack.type = t;
  p.ack.packet_id = id;
  std::string s;
  encode(p, version, s);
  return s;
}

} // namespace

TEST(mqtt_session, connack_and_session_present) {
  fake f;
  f.present = true;
  session s({}, f);
  s.on_data(connect_bytes(4, 0, "c1", false));
  auto ps = f.take(4);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].type, packet_type::connack);
  EXPECT_TRUE(ps[0].connack.session_present);
  EXPECT_EQ(ps[0].connack.code, 0);
  EXPECT_TRUE(s.connected());
}

TEST(mqtt_session, refused_connect_uses_3_1_1_return_codes) {
  fake f;
  f.connect_code = reason::bad_credentials;
  session s({}, f);
  s.on_data(connect_bytes(4));
  auto ps = f.take(4);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].connack.code, 4); // bad user name or password
  EXPECT_TRUE(f.closed);
  // an empty client id with clean session 0: return code 2
  fake g;
  session t({}, g);
  t.on_data(connect_bytes(4, 0, "", false));
  auto qs = g.take(4);
  ASSERT_EQ(qs.size(), 1u);
  EXPECT_EQ(qs[0].connack.code, 2);
  EXPECT_TRUE(g.closed);
}

TEST(mqtt_session, inbound_qos2_is_delivered_once) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5));
  f.take(5);
  s.on_data(publish_bytes(5, 2, 7));
  ASSERT_EQ(f.published.size(), 1u);
  s.acknowledge(7, 2, 0);
  auto ps = f.take(5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].type, packet_type::pubrec);
  // a retransmission before PUBREL is not delivered again
  s.on_data(publish_bytes(5, 2, 7));
  EXPECT_EQ(f.published.size(), 1u);
  EXPECT_EQ(f.take(5)[0].type, packet_type::pubrec);
  s.on_data(ack_bytes(packet_type::pubrel, 7));
  auto done = f.take(5);
  EXPECT_EQ(done[0].type, packet_type::pubcomp);
  EXPECT_EQ(done[0].ack.code, 0);
  // PUBREL for an unknown id: PUBCOMP 0x92
  s.on_data(ack_bytes(packet_type::pubrel, 9));
  EXPECT_EQ(f.take(5)[0].ack.code, reason::packet_id_not_found);
}

TEST(mqtt_session, outbound_window_and_acks) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(4));
  f.take(4);
  message m;
  m.topic = "t";
  m.payload = "p";
  m.qos = 1;
  for (int i = 0; i < 150; ++i)
    s.deliver(m, 1);
  EXPECT_EQ(s.inflight(), 100u); // our cap, whatever the client says
  EXPECT_EQ(s.queued(), 50u);
  auto ps = f.take(4);
  ASSERT_EQ(ps.size(), 100u);
  s.on_data(ack_bytes(packet_type::puback, ps[0].publish.packet_id, 4));
  EXPECT_EQ(s.inflight(), 100u); // the next one moved up
  EXPECT_EQ(s.queued(), 49u);
  EXPECT_EQ(s.unacknowledged().size(), 149u);
}

TEST(mqtt_session, keep_alive_and_will) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5, 10));
  f.take(5);
  f.now += 14000; // under 1.5 × 10 s
  s.check_timeouts();
  EXPECT_FALSE(f.closed);
  f.now += 2000;
  s.check_timeouts();
  EXPECT_TRUE(f.closed);
  EXPECT_EQ(f.closed_calls, 1);
  EXPECT_TRUE(f.will); // a timeout publishes the will
  auto ps = f.take(5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].disconnect.code, reason::keep_alive_timeout);
}

TEST(mqtt_session, normal_disconnect_suppresses_the_will) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5));
  s.on_data(std::string("\xE0\x00", 2));
  EXPECT_EQ(f.closed_calls, 1);
  EXPECT_FALSE(f.will);
  fake g; // 5.0 DISCONNECT with 0x04: the will is published
  session t({}, g);
  t.on_data(connect_bytes(5));
  t.on_data(std::string("\xE0\x01\x04", 3));
  EXPECT_TRUE(g.will);
}

TEST(mqtt_session, unknown_topic_alias_is_a_protocol_error) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5));
  f.take(5);
  packet p;
  p.type = packet_type::publish;
  p.publish.props.topic_alias = 3; // empty topic, alias never set
  std::string b;
  encode(p, 5, b);
  s.on_data(b);
  auto ps = f.take(5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].type, packet_type::disconnect);
  EXPECT_EQ(ps[0].disconnect.code, reason::protocol_error);
  EXPECT_TRUE(f.closed);
}

namespace {

std::string connect5_with(uint16_t keep_alive, uint16_t alias_max) {
  packet p;
  p.type = packet_type::connect;
  p.connect.version = 5;
  p.connect.keep_alive = keep_alive;
  p.connect.client_id = "c1";
  if (alias_max)
    p.connect.props.topic_alias_maximum = alias_max;
  std::string s;
  encode(p, 5, s);
  return s;
}

message msg(const std::string& topic, uint8_t qos) {
  message m;
  m.topic = topic;
  m.payload = "p";
  m.qos = qos;
  return m;
}

} // namespace

TEST(mqtt_session, resume_resends_with_dup_and_original_ids) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5));
  f.take(5);
  s.deliver(msg("a", 1), 1);
  s.deliver(msg("b", 2), 2);
  auto sent = f.take(5);
  ASSERT_EQ(sent.size(), 2u);
  auto id_a = sent[0].publish.packet_id, id_b = sent[1].publish.packet_id;
  s.on_data(ack_bytes(packet_type::pubrec, id_b)); // b is released
  EXPECT_EQ(f.take(5)[0].type, packet_type::pubrel);
  s.on_data(publish_bytes(5, 2, 42)); // an inbound QoS 2 awaiting PUBREL
  s.acknowledge(42, 2, 0);
  auto pending = s.unacknowledged();
  auto awaiting = s.awaiting_release();
  ASSERT_EQ(pending.size(), 2u);
  ASSERT_EQ(awaiting, std::vector<uint16_t>{42});

  fake g; // the client comes back on a new connection
  g.present = true;
  session t({}, g);
  t.on_data(connect_bytes(5, 0, "c1", false));
  t.resume(pending, awaiting);
  auto ps = g.take(5);
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].type, packet_type::connack);
  EXPECT_EQ(ps[1].type, packet_type::publish);
  EXPECT_TRUE(ps[1].publish.dup);
  EXPECT_EQ(ps[1].publish.packet_id, id_a);
  EXPECT_EQ(ps[1].publish.topic, "a");
  EXPECT_EQ(ps[2].type, packet_type::pubrel);
  EXPECT_EQ(ps[2].ack.packet_id, id_b);
  // the inbound QoS 2 message resent by the client is not delivered again
  t.on_data(publish_bytes(5, 2, 42));
  EXPECT_TRUE(g.published.empty());
  EXPECT_EQ(g.take(5)[0].type, packet_type::pubrec);
  // acknowledgements of the resent ones complete them
  t.on_data(ack_bytes(packet_type::puback, id_a));
  t.on_data(ack_bytes(packet_type::pubcomp, id_b));
  EXPECT_EQ(t.inflight(), 0u);
}

TEST(mqtt_session, message_expiry_is_counted_down_and_enforced) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(5));
  f.take(5);
  auto m = msg("t", 1);
  m.props.message_expiry = 60;
  m.expires_at_ms = f.now + 10000; // 10 s left
  s.deliver(m, 1);
  auto ps = f.take(5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].publish.props.message_expiry, 10u);
  m.expires_at_ms = f.now; // expired
  s.deliver(m, 1);
  EXPECT_TRUE(f.take(5).empty());
  // one that expires while it waits for the window is never sent
  session_options o;
  fake g;
  session t(o, g);
  t.on_data(connect_bytes(4));
  g.take(4);
  for (int i = 0; i < 100; ++i)
    t.deliver(msg("fill", 1), 1);
  auto late = msg("late", 1);
  late.expires_at_ms = g.now + 1000;
  t.deliver(late, 1);
  auto fill = g.take(4);
  EXPECT_EQ(t.queued(), 1u);
  g.now += 2000;
  t.on_data(ack_bytes(packet_type::puback, fill[0].publish.packet_id, 4));
  EXPECT_TRUE(g.take(4).empty());
  EXPECT_EQ(t.queued(), 0u);
}

TEST(mqtt_session, outbound_topic_aliases) {
  fake f;
  session s({}, f);
  s.on_data(connect5_with(0, 2));
  f.take(5);
  s.deliver(msg("sensors/1", 0), 0);
  s.deliver(msg("sensors/1", 0), 0);
  s.deliver(msg("sensors/2", 0), 0);
  s.deliver(msg("sensors/3", 0), 0); // both aliases taken
  auto ps = f.take(5);
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps[0].publish.topic, "sensors/1");
  EXPECT_EQ(ps[0].publish.props.topic_alias, 1);
  EXPECT_EQ(ps[1].publish.topic, "");
  EXPECT_EQ(ps[1].publish.props.topic_alias, 1);
  EXPECT_EQ(ps[2].publish.props.topic_alias, 2);
  EXPECT_EQ(ps[3].publish.topic, "sensors/3");
  EXPECT_FALSE(ps[3].publish.props.topic_alias.has_value());
  // no aliases for a client that announced none
  fake g;
  session t({}, g);
  t.on_data(connect5_with(0, 0));
  g.take(5);
  t.deliver(msg("sensors/1", 0), 0);
  EXPECT_FALSE(g.take(5)[0].publish.props.topic_alias.has_value());
}

TEST(mqtt_session, server_keep_alive) {
  session_options o;
  o.max_keep_alive = 30;
  fake f; // 3.1.1 asking for more: identifier rejected
  session s(o, f);
  s.on_data(connect_bytes(4, 60));
  EXPECT_EQ(f.take(4)[0].connack.code, 2);
  EXPECT_TRUE(f.closed);
  fake g; // 5.0 asking for none gets 30 s, enforced at 45 s
  session t(o, g);
  t.on_data(connect5_with(0, 0));
  EXPECT_TRUE(t.connected());
  g.now += 44000;
  t.check_timeouts();
  EXPECT_FALSE(g.closed);
  g.now += 2000;
  t.check_timeouts();
  EXPECT_TRUE(g.closed);
}

TEST(mqtt_session, disconnect_may_change_session_expiry_but_not_from_zero) {
  packet d;
  d.type = packet_type::disconnect;
  d.disconnect.type = packet_type::disconnect;
  d.disconnect.props.session_expiry = 0;
  std::string zero;
  encode(d, 5, zero);
  d.disconnect.props.session_expiry = 60;
  std::string sixty;
  encode(d, 5, sixty);
  packet c;
  c.type = packet_type::connect;
  c.connect.version = 5;
  c.connect.client_id = "c1";
  c.connect.clean_start = false;
  c.connect.props.session_expiry = 300;
  std::string persistent;
  encode(c, 5, persistent);

  fake f; // 300 at CONNECT, 0 at DISCONNECT: the session ends
  session s({}, f);
  s.on_data(persistent);
  EXPECT_EQ(s.session_expiry(), 300u);
  s.on_data(zero);
  EXPECT_EQ(s.session_expiry(), 0u);
  fake g; // 0 at CONNECT, 60 at DISCONNECT: protocol error
  session t({}, g);
  t.on_data(connect_bytes(5));
  g.take(5);
  t.on_data(sixty);
  auto ps = g.take(5);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].disconnect.code, reason::protocol_error);
  EXPECT_TRUE(g.will); // not a normal disconnect
}

TEST(mqtt_session, unread_output_drops_qos0_and_holds_qos1) {
  fake f;
  session s({}, f);
  s.on_data(connect_bytes(4));
  f.take(4);
  message m;
  m.topic = "t";
  m.payload = "p";
  s.deliver(m, 0);
  EXPECT_EQ(f.take(4).size(), 1u);
  // the client stopped reading: QoS 0 is dropped and counted, QoS 1 waits
  // in the queue instead of going to the socket
  f.writable = false;
  for (int i = 0; i < 10; ++i)
    s.deliver(m, 0);
  EXPECT_EQ(f.dropped, 10u);
  m.qos = 1;
  for (int i = 0; i < 5; ++i)
    s.deliver(m, 1);
  EXPECT_TRUE(f.out.empty());
  EXPECT_EQ(s.inflight(), 0u);
  EXPECT_EQ(s.queued(), 5u);
  EXPECT_EQ(s.queued_bytes(), 5u * 2);
  // the output drained: flush moves them into the window
  f.writable = true;
  s.flush();
  EXPECT_EQ(f.take(4).size(), 5u);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.queued_bytes(), 0u);
}

TEST(mqtt_session, qos1_queue_is_bounded_in_bytes) {
  fake f;
  session_options o;
  o.max_queued = 1000;
  o.max_queued_bytes = 10000;
  session s(o, f);
  s.on_data(connect_bytes(4));
  f.take(4);
  f.writable = false; // nothing moves into the window
  message m;
  m.topic = "t";
  m.payload.assign(999, 'x'); // 1000 bytes each with the topic
  m.qos = 1;
  for (int i = 0; i < 50; ++i)
    s.deliver(m, 1);
  // queued up to the bound (checked before adding), the rest dropped
  EXPECT_EQ(s.queued(), 10u);
  EXPECT_EQ(s.queued_bytes(), 10000u);
  EXPECT_EQ(f.dropped, 40u);
  // and bounded in messages as well
  fake g;
  session_options p;
  p.max_queued = 3;
  session t(p, g);
  t.on_data(connect_bytes(4));
  g.writable = false;
  for (int i = 0; i < 5; ++i)
    t.deliver(m, 1);
  EXPECT_EQ(t.queued(), 3u);
  EXPECT_EQ(g.dropped, 2u);
  // what was kept for the client while it was away is within the offline
  // bounds already: queued on reconnect, not dropped by the session's
  t.deliver(m, 1, {}, true);
  EXPECT_EQ(t.queued(), 4u);
  EXPECT_EQ(g.dropped, 2u);
}
