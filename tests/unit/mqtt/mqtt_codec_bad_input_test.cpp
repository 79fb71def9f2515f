/// Malformed and forbidden packets: each is an error with the MQTT 5
/// reason code the session sends (3.1.1 sessions just close).

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

struct bad {
  const char* name;
  std::string in;
  uint8_t version;
  uint8_t code;
};

} // namespace

TEST(mqtt_codec_bad_input, every_case_is_an_error_with_its_reason) {
  const bad cases[] = {
    {"remaining length of 5 bytes", bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),
     4, reason::malformed},
    {"first packet not CONNECT", bytes({0xC0, 0x00}), 0,
     reason::protocol_error},
    {"second CONNECT",
     bytes({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 0}), 4,
     reason::protocol_error},
    {"unknown protocol name",
     bytes({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 0, 0, 0}), 0,
     reason::unsupported_protocol_version},
    {"protocol level 6",
     bytes({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 6, 2, 0, 0, 0, 0}), 0,
     reason::unsupported_protocol_version},
    {"CONNECT reserved flag",
     bytes({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 3, 0, 0, 0, 0}), 0,
     reason::malformed},
    {"will QoS without will",
     bytes({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x0A, 0, 0, 0, 0}), 0,
     reason::malformed},
    {"password without user (3.1.1)",
     bytes({0x10, 0x0E, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 0, 0, 0, 0, 0}),
     0, reason::malformed},
    {"CONNECT trailing bytes",
     bytes({0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 0, 9}), 0,
     reason::malformed},
    {"CONNECT bad flags in fixed header",
     bytes({0x11, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 0}), 0,
     reason::malformed},
    {"client id not UTF-8",
     bytes({0x10, 0x0D, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 1, 0xFF}), 0,
     reason::malformed},
    {"PUBLISH QoS 3", bytes({0x36, 0x05, 0, 1, 't', 0, 1}), 4,
     reason::malformed},
    {"PUBLISH DUP on QoS 0", bytes({0x38, 0x03, 0, 1, 't'}), 4,
     reason::malformed},
    {"PUBLISH wildcard topic", bytes({0x30, 0x03, 0, 1, '#'}), 4,
     reason::topic_name_invalid},
    {"PUBLISH empty topic (3.1.1)", bytes({0x30, 0x02, 0, 0}), 4,
     reason::topic_name_invalid},
    {"PUBLISH packet id 0", bytes({0x32, 0x05, 0, 1, 't', 0, 0}), 4,
     reason::malformed},
    {"PUBLISH truncated topic", bytes({0x30, 0x03, 0, 5, 't'}), 4,
     reason::malformed},
    {"PUBLISH unknown property", bytes({0x30, 0x05, 0, 1, 't', 1, 0x7F}), 5,
     reason::protocol_error},
    {"PUBLISH property from CONNACK",
     bytes({0x30, 0x06, 0, 1, 't', 2, 0x24, 1}), 5, reason::protocol_error},
    {"PUBLISH duplicate property",
     bytes({0x30, 0x08, 0, 1, 't', 4, 0x01, 0, 0x01, 0}), 5,
     reason::protocol_error},
    {"PUBLISH property longer than the packet",
     bytes({0x30, 0x05, 0, 1, 't', 9, 0x01}), 5, reason::malformed},
    {"PUBLISH topic alias 0", bytes({0x30, 0x07, 0, 1, 't', 3, 0x23, 0, 0}), 5,
     reason::topic_alias_invalid},
    {"PUBLISH payload format says UTF-8 but is not",
     bytes({0x30, 0x07, 0, 1, 't', 2, 0x01, 1, 0xFF}), 5,
     reason::payload_format_invalid},
    {"PUBREL bad flags", bytes({0x60, 0x02, 0, 1}), 4, reason::malformed},
    {"PUBACK id 0", bytes({0x40, 0x02, 0, 0}), 4, reason::malformed},
    {"PUBACK trailing (3.1.1)", bytes({0x40, 0x03, 0, 1, 0}), 4,
     reason::malformed},
    {"SUBSCRIBE bad flags", bytes({0x80, 0x06, 0, 1, 0, 1, 'a', 0}), 4,
     reason::malformed},
    {"SUBSCRIBE empty", bytes({0x82, 0x02, 0, 1}), 4, reason::protocol_error},
    {"SUBSCRIBE QoS 3", bytes({0x82, 0x06, 0, 1, 0, 1, 'a', 3}), 4,
     reason::malformed},
    {"SUBSCRIBE reserved option bits (3.1.1)",
     bytes({0x82, 0x06, 0, 1, 0, 1, 'a', 0x04}), 4, reason::malformed},
    {"SUBSCRIBE retain handling 3",
     bytes({0x82, 0x07, 0, 1, 0, 0, 1, 'a', 0x30}), 5, reason::protocol_error},
    {"SUBSCRIBE subscription id 0",
     bytes({0x82, 0x09, 0, 1, 2, 0x0B, 0, 0, 1, 'a', 0}), 5,
     reason::protocol_error},
    {"UNSUBSCRIBE empty", bytes({0xA2, 0x02, 0, 1}), 4, reason::protocol_error},
    {"PINGREQ with a body", bytes({0xC0, 0x01, 0}), 4, reason::malformed},
    {"DISCONNECT with a body (3.1.1)", bytes({0xE0, 0x01, 0}), 4,
     reason::malformed},
    {"AUTH in 3.1.1", bytes({0xF0, 0x00}), 4, reason::protocol_error},
    {"CONNACK from a client", bytes({0x20, 0x02, 0, 0}), 4,
     reason::protocol_error},
    {"reserved type 0", bytes({0x00, 0x00}), 4, reason::malformed},
  };
  for (auto& c : cases) {
    packet p;
    codec_limits lim;
    auto r = decode(c.in, c.version, lim, p);
    EXPECT_EQ(r.status, decode_status::error) << c.name;
    EXPECT_EQ(r.code, c.code) << c.name << ": " << r.what;
  }
}

TEST(mqtt_codec_bad_input, oversized_packet_is_refused_from_its_header) {
  codec_limits lim;
  lim.max_packet = 100;
  packet p;
  auto r = decode(bytes({0x30, 0xE8, 0x07}), 4, lim, p); // 1000 bytes follow
  EXPECT_EQ(r.status, decode_status::error);
  EXPECT_EQ(r.code, reason::packet_too_large);
}
