#pragma once
/// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and
/// Reliable Software Network Load Balancer", NSDI 2016, §3.4): a lookup
/// table of prime size M where each endpoint fills slots in the order of
/// its own permutation (offset and skip from two hashes of its address),
/// taking turns. Every endpoint owns about M/N slots (weighted: in
/// proportion to its weight), a key's endpoint is one array read, and
/// adding or removing an endpoint moves few keys between the others.
/// Pure; built once per cluster.

#include <cstdint>
#include <string>
#include <vector>

namespace themis::gateway {

class maglev_table {
public:
  /// `size` must be prime (the permutations then cover every slot) and
  /// larger than the number of endpoints; weights of 0 count as 1.
  maglev_table(const std::vector<std::string>& addresses,
               const std::vector<uint32_t>& weights, uint64_t size);

  /// The endpoint owning key hash `h`, or -1 without endpoints.
  int lookup(uint64_t h) const {
    return table_.empty() ? -1 : table_[h % table_.size()];
  }
  /// Like lookup, but an endpoint `usable` refuses passes to the next
  /// slots' owners, so an unavailable endpoint's keys spread over the
  /// others as the table interleaves them; -1 when none is usable.
  template <class Usable>
  int lookup(uint64_t h, Usable&& usable) const {
    if (table_.empty())
      return -1;
    auto m = table_.size();
    for (size_t n = 0, i = h % m; n < m; ++n, i = i + 1 == m ? 0 : i + 1)
      if (usable(table_[i]))
        return table_[i];
    return -1;
  }
  const std::vector<int32_t>& slots() const { return table_; }

  static bool is_prime(uint64_t n);

private:
  std::vector<int32_t> table_;
};

} // namespace themis::gateway
