#pragma once
/// The 64-bit hash of consistent-hash rings (the gateway's ring_hash load
/// balancing, issue 23; the cluster's session ring, issue 25): FNV-1a then
/// the splitmix64 finaliser, because FNV alone clusters short, similar keys
/// ("n#1", "n#2"). Fixed here, never std::hash: every node and build must
/// place a key at the same point.

#include <cstdint>
#include <string_view>

namespace themis {

inline uint64_t ring_hash64(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

} // namespace themis
