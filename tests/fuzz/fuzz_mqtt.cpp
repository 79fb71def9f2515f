/// libFuzzer target for the MQTT codec: the first byte picks the session
/// state (before CONNECT, 3.1.1 or 5.0), the rest is decoded packet by
/// packet. Invariants: no crash; a packet that decodes re-encodes to bytes
/// that decode again to the same type.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/mqtt/mqtt_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace themis::mqtt;
  if (size == 0)
    return 0;
  static const uint8_t versions[] = {0, 4, 5};
  uint8_t version = versions[data[0] % 3];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  codec_limits lim;
  lim.max_packet = 1 << 16;
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
    in.remove_prefix(r.consumed);
  }
  return 0;
}
