#include "cluster/hash_ring.hpp"

#include <algorithm>

#include "themis/ring_hash.hpp"

namespace themis::cluster {

uint64_t ring_hash(std::string_view s) {
  return ring_hash64(s);
}

hash_ring::hash_ring(const std::vector<std::string>& nodes, uint32_t vnodes) :
  nodes_(nodes) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
  vnodes = std::clamp<uint32_t>(vnodes, 1, 4096);
  points_.reserve(nodes_.size() * vnodes);
  for (uint32_t n = 0; n < nodes_.size(); ++n)
    for (uint32_t i = 0; i < vnodes; ++i)
      points_.emplace_back(ring_hash(nodes_[n] + "#" + std::to_string(i)), n);
  std::sort(points_.begin(), points_.end());
}

const std::string& hash_ring::owner(std::string_view key) const {
  static const std::string none;
  if (points_.empty())
    return none;
  auto h = ring_hash(key);
  auto it = std::lower_bound(points_.begin(), points_.end(),
                             std::make_pair(h, uint32_t{0}));
  if (it == points_.end())
    it = points_.begin();
  return nodes_[it->second];
}

} // namespace themis::cluster
