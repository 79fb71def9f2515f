#pragma once
/// Reciprocal-rank fusion (Cormack et al. 2009): score(d) = Σ 1 / (k + rank)
/// over the ranked lists d appears in (rank from 1). Pure.

#include <string>
#include <vector>

namespace themis::search {

struct fused {
  std::string key;
  double score = 0;
  int rank_a = 0; ///< 1-based rank in the first list, 0 if absent
  int rank_b = 0; ///< the same in the second list
};

/// Fuses two ranked key lists (best first; a key repeated within a list
/// counts at its first rank) and returns the best `limit`, highest score
/// first, ties by key. `k` must be ≥ 0 (60 is the usual choice).
std::vector<fused> rrf_fuse(const std::vector<std::string>& a,
                            const std::vector<std::string>& b, double k,
                            size_t limit);

} // namespace themis::search
