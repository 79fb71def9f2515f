#include "engine/search/rrf.hpp"

#include <algorithm>
#include <unordered_map>

namespace themis::search {

std::vector<fused> rrf_fuse(const std::vector<std::string>& a,
                            const std::vector<std::string>& b, double k,
                            size_t limit) {
  std::unordered_map<std::string, fused> by_key;
  auto add = [&](const std::vector<std::string>& list, bool first) {
    for (size_t i = 0; i < list.size(); ++i) {
      auto& f = by_key[list[i]];
      int& rank = first ? f.rank_a : f.rank_b;
      if (rank != 0)
        continue; // a repeat counts once, at its best rank
      f.key = list[i];
      rank = static_cast<int>(i + 1);
      f.score += 1.0 / (k + static_cast<double>(i + 1));
    }
  };
  add(a, true);
  add(b, false);
  std::vector<fused> out;
  out.reserve(by_key.size());
  for (auto& [_, f] : by_key)
    out.push_back(std::move(f));
  std::sort(out.begin(), out.end(), [](const fused& x, const fused& y) {
    return x.score != y.score ? x.score > y.score : x.key < y.key;
  });
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

} // namespace themis::search
