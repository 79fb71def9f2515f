#pragma once
/// Consistent hashing of keys onto the live nodes (issue 25): each node
/// owns `vnodes` points on a 64-bit circle (FNV-1a of "id#i", mixed), a
/// key belongs to the first point at or after its own hash. Every node
/// builds the same ring from the same membership, so they all name the
/// same owner; when one of N nodes leaves, only the keys it owned (about
/// 1/N) move. The hash is fixed here, not std::hash, so the answer does
/// not depend on the build. Pure; rebuilt on membership changes.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::cluster {

uint64_t ring_hash(std::string_view s);

class hash_ring {
public:
  hash_ring() = default;
  hash_ring(const std::vector<std::string>& nodes, uint32_t vnodes);

  /// The owner of `key` ("" when the ring is empty).
  const std::string& owner(std::string_view key) const;
  size_t size() const { return nodes_.size(); }
  const std::vector<std::string>& nodes() const { return nodes_; }

private:
  std::vector<std::string> nodes_;
  std::vector<std::pair<uint64_t, uint32_t>> points_; ///< sorted; node index
};

} // namespace themis::cluster
