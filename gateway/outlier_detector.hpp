#pragma once
/// Passive outlier detection for one cluster: an endpoint answering
/// `consecutive_5xx` gateway failures in a row (5xx, reset, timeout) is
/// ejected for base * 2^(ejections-1), capped at max_ejection_ms; never
/// more than max_ejection_percent of the endpoints at once (at least one
/// may always be ejected). It returns by itself when its time is up.

#include <cstdint>
#include <vector>

#include "gateway/gateway_config.hpp"

namespace themis::gateway {

class outlier_detector {
public:
  outlier_detector(const outlier_config& c, size_t endpoints);

  /// One answer from endpoint `i`; true when this answer ejected it.
  bool record(size_t i, bool failure, uint64_t now_ms);
  bool ejected(size_t i, uint64_t now_ms) const {
    return state_[i].until_ms > now_ms;
  }
  uint64_t ejected_until(size_t i) const { return state_[i].until_ms; }
  uint64_t ejections_total() const { return total_; }
  size_t ejected_count(uint64_t now_ms) const;

private:
  struct entry {
    uint32_t consecutive = 0;
    uint32_t times = 0; ///< ejections so far (for the backoff)
    uint64_t until_ms = 0;
  };
  outlier_config cfg_;
  std::vector<entry> state_;
  uint64_t total_ = 0;
};

} // namespace themis::gateway
