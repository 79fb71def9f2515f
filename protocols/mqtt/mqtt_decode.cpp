#include <cstring>

#include "protocols/mqtt/mqtt_codec.hpp"
#include "protocols/mqtt/mqtt_props.hpp"

namespace themis::mqtt {

namespace detail {

const prop_info* find_prop(uint32_t id) {
  // packet type numbers: CONNECT 1 … AUTH 15; will = bit 0
  static const prop_info table[] = {
    {0x01, prop_kind::byte, will_bit | bit(3)},
    {0x02, prop_kind::u32, will_bit | bit(3)},
    {0x03, prop_kind::utf8, will_bit | bit(3)},
    {0x08, prop_kind::utf8, will_bit | bit(3)},
    {0x09, prop_kind::binary, will_bit | bit(3)},
    {0x0B, prop_kind::varint, bit(3) | bit(8)},
    {0x11, prop_kind::u32, bit(1) | bit(2) | bit(14)},
    {0x12, prop_kind::utf8, bit(2)},
    {0x13, prop_kind::u16, bit(2)},
    {0x15, prop_kind::utf8, bit(1) | bit(2) | bit(15)},
    {0x16, prop_kind::binary, bit(1) | bit(2) | bit(15)},
    {0x17, prop_kind::byte, bit(1)},
    {0x18, prop_kind::u32, will_bit},
    {0x19, prop_kind::byte, bit(1)},
    {0x1A, prop_kind::utf8, bit(2)},
    {0x1C, prop_kind::utf8, bit(2) | bit(14)},
    {0x1F, prop_kind::utf8,
     bit(2) | bit(4) | bit(5) | bit(6) | bit(7) | bit(9) | bit(11) | bit(14) |
       bit(15)},
    {0x21, prop_kind::u16, bit(1) | bit(2)},
    {0x22, prop_kind::u16, bit(1) | bit(2)},
    {0x23, prop_kind::u16, bit(3)},
    {0x24, prop_kind::byte, bit(2)},
    {0x25, prop_kind::byte, bit(2)},
    {0x26, prop_kind::pair, 0xFFFFu},
    {0x27, prop_kind::u32, bit(1) | bit(2)},
    {0x28, prop_kind::byte, bit(2)},
    {0x29, prop_kind::byte, bit(2)},
    {0x2A, prop_kind::byte, bit(2)},
  };
  for (auto& p : table)
    if (p.id == id)
      return &p;
  return nullptr;
}

} // namespace detail

namespace {

using detail::prop_kind;

/// A bounds-checked reader; the first failure sticks.
struct reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  uint8_t code = reason::malformed;
  const char* what = "";

  bool fail(const char* w, uint8_t c = reason::malformed) {
    if (ok) {
      ok = false;
      what = w;
      code = c;
    }
    return false;
  }
  size_t left() const { return in.size() - pos; }
  uint8_t u8() {
    if (left() < 1)
      return fail("truncated packet"), 0;
    return static_cast<uint8_t>(in[pos++]);
  }
  uint16_t u16() {
    if (left() < 2)
      return fail("truncated packet"), 0;
    uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(in[pos]) << 8) |
                                       static_cast<uint8_t>(in[pos + 1]));
    pos += 2;
    return v;
  }
  uint32_t u32() {
    uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  uint32_t varint() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t b = u8();
      if (!ok)
        return 0;
      v |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
      if (!(b & 0x80))
        return v;
    }
    return fail("variable byte integer longer than 4 bytes"), 0;
  }
  std::string binary() {
    auto n = u16();
    if (!ok)
      return {};
    if (left() < n)
      return fail("truncated packet"), std::string();
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  std::string utf8() {
    auto s = binary();
    if (ok && !valid_utf8(s))
      fail("invalid UTF-8 string");
    return s;
  }
};

template <class T>
bool set_once(reader& r, std::optional<T>& slot, T v) {
  if (slot)
    return r.fail("duplicate property", reason::protocol_error);
  slot = std::move(v);
  return true;
}

/// Reads a property block (its length first) for `owner` (type number, or
/// 0 for the will properties).
bool read_props(reader& r, int owner, properties& p) {
  auto len = r.varint();
  if (!r.ok)
    return false;
  if (r.left() < len)
    return r.fail("property length exceeds the packet");
  size_t end = r.pos + len;
  uint32_t mask = owner == 0 ? detail::will_bit : detail::bit(owner);
  while (r.ok && r.pos < end) {
    auto id = r.varint();
    auto* info = detail::find_prop(id);
    if (!info)
      return r.fail("unknown property identifier", reason::protocol_error);
    if (!(info->allowed & mask))
      return r.fail("property not allowed in this packet",
                    reason::protocol_error);
    switch (id) {
      case 0x01: {
        auto v = r.u8();
        if (v > 1)
          return r.fail("payload format indicator must be 0 or 1",
                        reason::protocol_error);
        set_once(r, p.payload_format, v);
        break;
      }
      case 0x02:
        set_once(r, p.message_expiry, r.u32());
        break;
      case 0x03:
        set_once(r, p.content_type, r.utf8());
        break;
      case 0x08:
        set_once(r, p.response_topic, r.utf8());
        break;
      case 0x09:
        set_once(r, p.correlation_data, r.binary());
        break;
      case 0x0B: {
        auto v = r.varint();
        if (r.ok && v == 0)
          return r.fail("subscription identifier 0", reason::protocol_error);
        if (owner == 8 && !p.subscription_ids.empty())
          return r.fail("duplicate property", reason::protocol_error);
        p.subscription_ids.push_back(v);
        break;
      }
      case 0x11:
        set_once(r, p.session_expiry, r.u32());
        break;
      case 0x12:
        set_once(r, p.assigned_client_id, r.utf8());
        break;
      case 0x13:
        set_once(r, p.server_keep_alive, r.u16());
        break;
      case 0x15:
        set_once(r, p.auth_method, r.utf8());
        break;
      case 0x16:
        set_once(r, p.auth_data, r.binary());
        break;
      case 0x17: {
        auto v = r.u8();
        if (v > 1)
          return r.fail("request problem information must be 0 or 1",
                        reason::protocol_error);
        set_once(r, p.request_problem_info, v);
        break;
      }
      case 0x18:
        set_once(r, p.will_delay, r.u32());
        break;
      case 0x19: {
        auto v = r.u8();
        if (v > 1)
          return r.fail("request response information must be 0 or 1",
                        reason::protocol_error);
        set_once(r, p.request_response_info, v);
        break;
      }
      case 0x1A:
        set_once(r, p.response_info, r.utf8());
        break;
      case 0x1C:
        set_once(r, p.server_reference, r.utf8());
        break;
      case 0x1F:
        set_once(r, p.reason_string, r.utf8());
        break;
      case 0x21: {
        auto v = r.u16();
        if (r.ok && v == 0)
          return r.fail("receive maximum 0", reason::protocol_error);
        set_once(r, p.receive_maximum, v);
        break;
      }
      case 0x22:
        set_once(r, p.topic_alias_maximum, r.u16());
        break;
      case 0x23: {
        auto v = r.u16();
        if (r.ok && v == 0)
          return r.fail("topic alias 0", reason::topic_alias_invalid);
        set_once(r, p.topic_alias, v);
        break;
      }
      case 0x24:
        set_once(r, p.maximum_qos, r.u8());
        break;
      case 0x25:
        set_once(r, p.retain_available, r.u8());
        break;
      case 0x26: {
        auto k = r.utf8();
        auto v = r.utf8();
        p.user.emplace_back(std::move(k), std::move(v));
        break;
      }
      case 0x27: {
        auto v = r.u32();
        if (r.ok && v == 0)
          return r.fail("maximum packet size 0", reason::protocol_error);
        set_once(r, p.maximum_packet_size, v);
        break;
      }
      case 0x28:
        set_once(r, p.wildcard_available, r.u8());
        break;
      case 0x29:
        set_once(r, p.subscription_ids_available, r.u8());
        break;
      case 0x2A:
        set_once(r, p.shared_available, r.u8());
        break;
    }
  }
  if (r.ok && r.pos != end)
    return r.fail("property overruns its block");
  return r.ok;
}

bool decode_connect(reader& r, connect_packet& c) {
  auto name = r.utf8();
  c.version = r.u8();
  if (!r.ok)
    return false;
  bool v31 = name == "MQIsdp" && c.version == 3;
  if (!v31 && name != "MQTT")
    return r.fail("unknown protocol name",
                  reason::unsupported_protocol_version);
  if (!v31 && c.version != 4 && c.version != 5)
    return r.fail("unsupported protocol level",
                  reason::unsupported_protocol_version);
  auto flags = r.u8();
  c.keep_alive = r.u16();
  if (!r.ok)
    return false;
  if (flags & 0x01)
    return r.fail("CONNECT reserved flag set");
  c.clean_start = flags & 0x02;
  bool will = flags & 0x04;
  uint8_t will_qos = (flags >> 3) & 3;
  bool will_retain = flags & 0x20;
  bool has_password = flags & 0x40;
  bool has_user = flags & 0x80;
  if (will_qos == 3)
    return r.fail("will QoS 3");
  if (!will && (will_qos || will_retain))
    return r.fail("will QoS or retain without a will");
  if (c.version < 5 && has_password && !has_user)
    return r.fail("password without user name");
  if (c.version == 5 && !read_props(r, 1, c.props))
    return false;
  c.client_id = r.utf8();
  if (will) {
    will_message w;
    w.qos = will_qos;
    w.retain = will_retain;
    if (c.version == 5 && !read_props(r, 0, w.props))
      return false;
    w.topic = r.utf8();
    w.payload = r.binary();
    if (r.ok && !valid_topic_name(w.topic))
      return r.fail("invalid will topic", reason::topic_name_invalid);
    c.will = std::move(w);
  }
  if (has_user)
    c.username = r.utf8();
  if (has_password)
    c.password = r.binary();
  if (r.ok && r.left())
    return r.fail("trailing bytes after CONNECT payload");
  return r.ok;
}

bool decode_publish(reader& r, uint8_t flags, uint8_t version,
                    publish_packet& p) {
  p.dup = flags & 0x08;
  p.qos = (flags >> 1) & 3;
  p.retain = flags & 0x01;
  if (p.qos == 3)
    return r.fail("PUBLISH QoS 3");
  if (p.qos == 0 && p.dup)
    return r.fail("DUP set on a QoS 0 PUBLISH");
  p.topic = r.utf8();
  if (p.qos > 0) {
    p.packet_id = r.u16();
    if (r.ok && p.packet_id == 0)
      return r.fail("packet identifier 0");
  }
  if (version == 5 && !read_props(r, 3, p.props))
    return false;
  if (!r.ok)
    return false;
  if (p.topic.empty() ? (version < 5 || !p.props.topic_alias)
                      : !valid_topic_name(p.topic))
    return r.fail("invalid topic name", reason::topic_name_invalid);
  p.payload = std::string(r.in.substr(r.pos));
  r.pos = r.in.size();
  if (p.props.payload_format.value_or(0) == 1 && !valid_utf8(p.payload))
    return r.fail("payload is not UTF-8 as its format says",
                  reason::payload_format_invalid);
  return true;
}

bool decode_ack(reader& r, uint8_t version, ack_packet& a) {
  a.packet_id = r.u16();
  if (r.ok && a.packet_id == 0)
    return r.fail("packet identifier 0");
  if (version == 5 && r.ok && r.left() > 0) {
    a.code = r.u8();
    if (r.ok && r.left() > 0 &&
        !read_props(r, static_cast<int>(a.type), a.props))
      return false;
  }
  if (r.ok && r.left())
    return r.fail("trailing bytes after the acknowledgement");
  return r.ok;
}

bool decode_subscribe(reader& r, uint8_t version, subscribe_packet& s) {
  s.packet_id = r.u16();
  if (r.ok && s.packet_id == 0)
    return r.fail("packet identifier 0");
  if (version == 5 && !read_props(r, 8, s.props))
    return false;
  while (r.ok && r.left()) {
    subscription t;
    t.filter = r.utf8();
    auto o = r.u8();
    if (!r.ok)
      return false;
    t.qos = o & 3;
    if (t.qos == 3)
      return r.fail("subscription QoS 3");
    if (version == 5) {
      if (o & 0xC0)
        return r.fail("reserved subscription option bits set");
      t.no_local = o & 0x04;
      t.retain_as_published = o & 0x08;
      t.retain_handling = (o >> 4) & 3;
      if (t.retain_handling == 3)
        return r.fail("retain handling 3", reason::protocol_error);
      if (t.no_local && t.filter.rfind("$share/", 0) == 0)
        return r.fail("no local on a shared subscription", // §3.8.3.1
                      reason::protocol_error);
    } else if (o & 0xFC) {
      return r.fail("reserved subscription option bits set");
    }
    s.topics.push_back(std::move(t));
  }
  if (r.ok && s.topics.empty())
    return r.fail("SUBSCRIBE without topic filters", reason::protocol_error);
  return r.ok;
}

bool decode_unsubscribe(reader& r, uint8_t version, unsubscribe_packet& u) {
  u.packet_id = r.u16();
  if (r.ok && u.packet_id == 0)
    return r.fail("packet identifier 0");
  if (version == 5 && !read_props(r, 10, u.props))
    return false;
  while (r.ok && r.left())
    u.filters.push_back(r.utf8());
  if (r.ok && u.filters.empty())
    return r.fail("UNSUBSCRIBE without topic filters", reason::protocol_error);
  return r.ok;
}

bool decode_disconnect(reader& r, uint8_t version, disconnect_packet& d) {
  if (version < 5) {
    if (r.left())
      return r.fail("DISCONNECT with a body");
    return true;
  }
  if (r.left()) {
    d.code = r.u8();
    if (r.ok && r.left() && !read_props(r, static_cast<int>(d.type), d.props))
      return false;
  }
  if (r.ok && r.left())
    return r.fail("trailing bytes after DISCONNECT");
  return r.ok;
}

} // namespace

decode_result decode(std::string_view in, uint8_t version,
                     const codec_limits& lim, packet& out) {
  decode_result res;
  if (in.size() < 2)
    return res;
  uint8_t b0 = static_cast<uint8_t>(in[0]);
  uint32_t len = 0;
  size_t i = 1;
  for (int shift = 0;; shift += 7, ++i) {
    if (i >= in.size())
      return res; // need more
    if (i > 4) {
      res.status = decode_status::error;
      res.code = reason::malformed;
      res.what = "remaining length longer than 4 bytes";
      return res;
    }
    auto b = static_cast<uint8_t>(in[i]);
    len |= static_cast<uint32_t>(b & 0x7F) << shift;
    if (!(b & 0x80))
      break;
  }
  size_t total = i + 1 + len;
  if (total > lim.max_packet) {
    res.status = decode_status::error;
    res.code = reason::packet_too_large;
    res.what = "packet larger than the maximum packet size";
    return res;
  }
  if (in.size() < total)
    return res;
  auto type = static_cast<packet_type>(b0 >> 4);
  uint8_t flags = b0 & 0x0F;
  reader r{in.substr(i + 1, len)};
  out = packet{};
  out.type = type;
  auto t = static_cast<int>(type);
  if (version == 0 && type != packet_type::connect)
    r.fail("the first packet must be CONNECT", reason::protocol_error);
  else if (version != 0 && type == packet_type::connect)
    r.fail("a second CONNECT", reason::protocol_error);
  else if (t == 0)
    r.fail("reserved packet type 0");
  else if (type == packet_type::publish)
    ; // flags carry DUP/QoS/RETAIN
  else if ((type == packet_type::pubrel || type == packet_type::subscribe ||
            type == packet_type::unsubscribe)
             ? flags != 2
             : flags != 0)
    r.fail("reserved fixed-header flags");
  if (r.ok) {
    switch (type) {
      case packet_type::connect:
        decode_connect(r, out.connect);
        break;
      case packet_type::publish:
        decode_publish(r, flags, version, out.publish);
        break;
      case packet_type::puback:
      case packet_type::pubrec:
      case packet_type::pubrel:
      case packet_type::pubcomp:
        out.ack.type = type;
        decode_ack(r, version, out.ack);
        break;
      case packet_type::subscribe:
        decode_subscribe(r, version, out.subscribe);
        break;
      case packet_type::unsubscribe:
        decode_unsubscribe(r, version, out.unsubscribe);
        break;
      case packet_type::pingreq:
        if (len)
          r.fail("PINGREQ with a body");
        break;
      case packet_type::disconnect:
        out.disconnect.type = type;
        decode_disconnect(r, version, out.disconnect);
        break;
      case packet_type::auth:
        if (version < 5) {
          r.fail("AUTH before MQTT 5", reason::protocol_error);
          break;
        }
        out.disconnect.type = type;
        decode_disconnect(r, version, out.disconnect);
        break;
      default: // server-to-client packets from a client
        r.fail("a server packet from the client", reason::protocol_error);
    }
  }
  res.consumed = total;
  if (!r.ok) {
    res.status = decode_status::error;
    res.code = r.code;
    res.what = r.what;
    return res;
  }
  res.status = decode_status::ok;
  return res;
}

} // namespace themis::mqtt
