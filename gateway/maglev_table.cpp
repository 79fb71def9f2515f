#include "gateway/maglev_table.hpp"

#include <algorithm>

#include "themis/ring_hash.hpp"

namespace themis::gateway {

bool maglev_table::is_prime(uint64_t n) {
  if (n < 2)
    return false;
  for (uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0)
      return false;
  return true;
}

maglev_table::maglev_table(const std::vector<std::string>& addresses,
                           const std::vector<uint32_t>& weights,
                           uint64_t size) {
  auto n = addresses.size();
  if (n == 0 || size == 0)
    return;
  uint64_t m = size;
  std::vector<uint64_t> offset(n), skip(n), next(n, 0);
  uint32_t max_w = 1;
  for (size_t i = 0; i < n; ++i) {
    // two independent hashes of the name: a slot to start at and a step
    // (1..M-1, coprime with the prime M, so the walk visits every slot)
    offset[i] = ring_hash64(addresses[i] + "#offset") % m;
    skip[i] = ring_hash64(addresses[i] + "#skip") % (m - 1) + 1;
    max_w = std::max(max_w, i < weights.size() ? weights[i] : 1u);
  }
  table_.assign(m, -1);
  // weighted turns: each round endpoint i earns w_i/max_w of a turn and
  // takes a slot per whole turn earned (equal weights: the paper's loop)
  std::vector<uint64_t> credit(n, 0);
  uint64_t filled = 0;
  while (filled < m) {
    for (size_t i = 0; i < n && filled < m; ++i) {
      uint32_t w = i < weights.size() && weights[i] ? weights[i] : 1;
      credit[i] += w;
      if (credit[i] < max_w)
        continue;
      credit[i] -= max_w;
      // its next preferred slot still free
      uint64_t c;
      do {
        c = (offset[i] + next[i] * skip[i]) % m;
        ++next[i];
      } while (table_[c] >= 0);
      table_[c] = static_cast<int32_t>(i);
      ++filled;
    }
  }
}

} // namespace themis::gateway
