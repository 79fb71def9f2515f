#pragma once
/// MQTT 5 property identifiers, their value types and the packets each may
/// appear in (§2.2.2.2): shared by the decoder and the encoder.

#include <cstdint>

namespace themis::mqtt::detail {

enum class prop_kind : uint8_t { byte, u16, u32, varint, utf8, binary, pair };

/// Bit per packet type (1 << type); bit 0 stands for the will properties.
constexpr uint32_t in(uint32_t mask) {
  return mask;
}
constexpr uint32_t will_bit = 1u << 0;
constexpr uint32_t bit(int t) {
  return 1u << t;
}

struct prop_info {
  uint8_t id;
  prop_kind kind;
  uint32_t allowed;
};

/// nullptr for an unknown identifier.
const prop_info* find_prop(uint32_t id);

} // namespace themis::mqtt::detail
