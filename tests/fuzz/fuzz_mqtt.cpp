/// libFuzzer target for the MQTT codec: the first byte picks the session
/// state (before CONNECT, 3.1.1 or 5.0), the rest is decoded packet by
/// packet. Invariants: no crash; a packet that decodes re-encodes to bytes
/// that decode again to the same type. The filters of every SUBSCRIBE
/// (the inner filter of `$share/{group}/…` too) go into a subscription
/// tree and every PUBLISH topic is routed through it, as the broker does:
/// the tree must agree with topic_matches, and a valid filter covers
/// itself. Seeds carry the extremes (64 KiB filters of 30,000 levels,
/// thousands of properties) the tree must survive without recursing per
/// level on a small stack.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "protocols/mqtt/mqtt_acl.hpp"
#include "protocols/mqtt/mqtt_codec.hpp"
#include "protocols/mqtt/mqtt_sub_tree.hpp"

namespace {

using namespace themis::mqtt;

/// What the broker keeps of the SUBSCRIBE and UNSUBSCRIBE packets seen.
struct routing {
  sub_tree tree;
  std::set<std::string, std::less<>> filters; ///< the same, to cross-check

  /// The filter the broker routes by, or nothing if it would refuse it.
  static bool routed(std::string_view f, std::string& out) {
    std::string group;
    if (!split_shared(f, group, out))
      out = f;
    return valid_topic_filter(out);
  }

  void subscribe(const subscribe_packet& p) {
    std::string f;
    for (auto& t : p.topics) {
      if (!routed(t.filter, f))
        continue;
      if (!filter_covers(f, f))
        std::abort(); // a filter grants at least itself
      tree.add(f, "c");
      filters.insert(f);
    }
  }

  void unsubscribe(const unsubscribe_packet& p) {
    std::string f;
    for (auto& u : p.filters)
      if (routed(u, f)) {
        tree.remove(f, "c");
        filters.erase(f);
      }
  }

  void publish(const publish_packet& p) {
    if (!valid_topic_name(p.topic))
      return;
    size_t by_tree = 0, by_scan = 0;
    tree.match(p.topic, [&](const std::string&) { ++by_tree; });
    for (auto& f : filters)
      by_scan += topic_matches(f, p.topic);
    if (by_tree != by_scan || tree.size() != filters.size())
      std::abort();
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  static const uint8_t versions[] = {0, 4, 5};
  uint8_t version = versions[data[0] % 3];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  codec_limits lim;
  lim.max_packet = 1 << 18; // room for 65,535-byte filters and topics
  routing routes;
  while (!in.empty()) {
    packet p;
    auto r = decode(in, version, lim, p);
    if (r.status != decode_status::ok)
      break;
    if (p.type == packet_type::connect)
      version = p.connect.version == 5 ? 5 : 4;
    std::string again;
    encode(p, version, again);
    packet q;
    auto r2 =
      decode(again, p.type == packet_type::connect ? 0 : version, lim, q);
    if (r2.status != decode_status::ok || q.type != p.type)
      std::abort();
    if (p.type == packet_type::subscribe)
      routes.subscribe(p.subscribe);
    else if (p.type == packet_type::unsubscribe)
      routes.unsubscribe(p.unsubscribe);
    else if (p.type == packet_type::publish)
      routes.publish(p.publish);
    in.remove_prefix(r.consumed);
  }
  return 0;
}
