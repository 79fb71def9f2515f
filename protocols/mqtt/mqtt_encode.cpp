#include "protocols/mqtt/mqtt_codec.hpp"

namespace themis::mqtt {

namespace {

void put_u16(std::string& o, uint16_t v) {
  o.push_back(static_cast<char>(v >> 8));
  o.push_back(static_cast<char>(v & 0xFF));
}

void put_u32(std::string& o, uint32_t v) {
  put_u16(o, static_cast<uint16_t>(v >> 16));
  put_u16(o, static_cast<uint16_t>(v));
}

void put_varint(std::string& o, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v)
      b |= 0x80;
    o.push_back(static_cast<char>(b));
  } while (v);
}

void put_str(std::string& o, std::string_view s) {
  put_u16(o, static_cast<uint16_t>(s.size()));
  o.append(s);
}

void put_props(std::string& o, const properties& p) {
  std::string b;
  auto byte = [&](uint8_t id, const std::optional<uint8_t>& v) {
    if (v) {
      b.push_back(static_cast<char>(id));
      b.push_back(static_cast<char>(*v));
    }
  };
  auto u16 = [&](uint8_t id, const std::optional<uint16_t>& v) {
    if (v) {
      b.push_back(static_cast<char>(id));
      put_u16(b, *v);
    }
  };
  auto u32 = [&](uint8_t id, const std::optional<uint32_t>& v) {
    if (v) {
      b.push_back(static_cast<char>(id));
      put_u32(b, *v);
    }
  };
  auto str = [&](uint8_t id, const std::optional<std::string>& v) {
    if (v) {
      b.push_back(static_cast<char>(id));
      put_str(b, *v);
    }
  };
  byte(0x01, p.payload_format);
  u32(0x02, p.message_expiry);
  str(0x03, p.content_type);
  str(0x08, p.response_topic);
  str(0x09, p.correlation_data);
  for (auto id : p.subscription_ids) {
    b.push_back(0x0B);
    put_varint(b, id);
  }
  u32(0x11, p.session_expiry);
  str(0x12, p.assigned_client_id);
  u16(0x13, p.server_keep_alive);
  str(0x15, p.auth_method);
  str(0x16, p.auth_data);
  byte(0x17, p.request_problem_info);
  u32(0x18, p.will_delay);
  byte(0x19, p.request_response_info);
  str(0x1A, p.response_info);
  str(0x1C, p.server_reference);
  str(0x1F, p.reason_string);
  u16(0x21, p.receive_maximum);
  u16(0x22, p.topic_alias_maximum);
  u16(0x23, p.topic_alias);
  byte(0x24, p.maximum_qos);
  byte(0x25, p.retain_available);
  for (auto& [k, v] : p.user) {
    b.push_back(0x26);
    put_str(b, k);
    put_str(b, v);
  }
  u32(0x27, p.maximum_packet_size);
  byte(0x28, p.wildcard_available);
  byte(0x29, p.subscription_ids_available);
  byte(0x2A, p.shared_available);
  put_varint(o, static_cast<uint32_t>(b.size()));
  o += b;
}

bool props_empty(const properties& p) {
  std::string b;
  put_props(b, p);
  return b.size() == 1;
}

std::string body_of(const packet& p, uint8_t version, uint8_t& flags) {
  std::string b;
  bool v5 = version == 5;
  flags = 0;
  switch (p.type) {
    case packet_type::connect: {
      auto& c = p.connect;
      put_str(b, c.version == 3 ? "MQIsdp" : "MQTT");
      b.push_back(static_cast<char>(c.version));
      uint8_t f = 0;
      if (c.clean_start)
        f |= 0x02;
      if (c.will) {
        f |= 0x04 | static_cast<uint8_t>(c.will->qos << 3);
        if (c.will->retain)
          f |= 0x20;
      }
      if (c.password)
        f |= 0x40;
      if (c.username)
        f |= 0x80;
      b.push_back(static_cast<char>(f));
      put_u16(b, c.keep_alive);
      if (c.version == 5)
        put_props(b, c.props);
      put_str(b, c.client_id);
      if (c.will) {
        if (c.version == 5)
          put_props(b, c.will->props);
        put_str(b, c.will->topic);
        put_str(b, c.will->payload);
      }
      if (c.username)
        put_str(b, *c.username);
      if (c.password)
        put_str(b, *c.password);
      break;
    }
    case packet_type::connack:
      b.push_back(p.connack.session_present ? 1 : 0);
      b.push_back(static_cast<char>(p.connack.code));
      if (v5)
        put_props(b, p.connack.props);
      break;
    case packet_type::publish: {
      auto& m = p.publish;
      flags = static_cast<uint8_t>((m.dup ? 8 : 0) | (m.qos << 1) |
                                   (m.retain ? 1 : 0));
      put_str(b, m.topic);
      if (m.qos)
        put_u16(b, m.packet_id);
      if (v5)
        put_props(b, m.props);
      b += m.payload;
      break;
    }
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
      if (p.type == packet_type::pubrel)
        flags = 2;
      put_u16(b, p.ack.packet_id);
      if (v5 && (p.ack.code || !props_empty(p.ack.props))) {
        b.push_back(static_cast<char>(p.ack.code));
        if (!props_empty(p.ack.props))
          put_props(b, p.ack.props);
      }
      break;
    case packet_type::subscribe:
      flags = 2;
      put_u16(b, p.subscribe.packet_id);
      if (v5)
        put_props(b, p.subscribe.props);
      for (auto& t : p.subscribe.topics) {
        put_str(b, t.filter);
        uint8_t o = t.qos;
        if (v5)
          o |= static_cast<uint8_t>((t.no_local ? 4 : 0) |
                                    (t.retain_as_published ? 8 : 0) |
                                    (t.retain_handling << 4));
        b.push_back(static_cast<char>(o));
      }
      break;
    case packet_type::suback:
    case packet_type::unsuback:
      put_u16(b, p.sub_ack.packet_id);
      if (v5)
        put_props(b, p.sub_ack.props);
      if (v5 || p.type == packet_type::suback)
        for (auto c : p.sub_ack.codes)
          b.push_back(static_cast<char>(c));
      break;
    case packet_type::unsubscribe:
      flags = 2;
      put_u16(b, p.unsubscribe.packet_id);
      if (v5)
        put_props(b, p.unsubscribe.props);
      for (auto& f : p.unsubscribe.filters)
        put_str(b, f);
      break;
    case packet_type::pingreq:
    case packet_type::pingresp:
      break;
    case packet_type::disconnect:
    case packet_type::auth:
      if (v5 && (p.disconnect.code || !props_empty(p.disconnect.props))) {
        b.push_back(static_cast<char>(p.disconnect.code));
        if (!props_empty(p.disconnect.props))
          put_props(b, p.disconnect.props);
      }
      break;
  }
  return b;
}

} // namespace

void encode(const packet& p, uint8_t version, std::string& out) {
  uint8_t flags = 0;
  auto body = body_of(p, version, flags);
  out.push_back(static_cast<char>((static_cast<uint8_t>(p.type) << 4) | flags));
  put_varint(out, static_cast<uint32_t>(body.size()));
  out += body;
}

size_t encoded_size(const packet& p, uint8_t version) {
  std::string out;
  encode(p, version, out);
  return out.size();
}

} // namespace themis::mqtt
