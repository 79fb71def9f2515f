#include "gateway/outlier_detector.hpp"

#include <algorithm>

namespace themis::gateway {

outlier_detector::outlier_detector(const outlier_config& c, size_t endpoints) :
  cfg_(c), state_(endpoints) {}

size_t outlier_detector::ejected_count(uint64_t now_ms) const {
  size_t n = 0;
  for (auto& e : state_)
    n += e.until_ms > now_ms;
  return n;
}

bool outlier_detector::record(size_t i, bool failure, uint64_t now_ms) {
  if (i >= state_.size() || cfg_.consecutive_5xx == 0)
    return false;
  auto& e = state_[i];
  if (!failure) {
    e.consecutive = 0;
    return false;
  }
  if (e.until_ms > now_ms) // already out (an answer that was in flight)
    return false;
  if (++e.consecutive < cfg_.consecutive_5xx)
    return false;
  auto limit =
    std::max<size_t>(1, state_.size() * cfg_.max_ejection_percent / 100);
  if (cfg_.max_ejection_percent == 0 || ejected_count(now_ms) >= limit)
    return false;
  e.consecutive = 0;
  ++e.times;
  uint64_t dur = cfg_.base_ejection_ms;
  for (uint32_t k = 1; k < e.times && dur < cfg_.max_ejection_ms; ++k)
    dur *= 2;
  dur = std::min<uint64_t>(dur, cfg_.max_ejection_ms);
  e.until_ms = now_ms + dur;
  ++total_;
  return true;
}

} // namespace themis::gateway
