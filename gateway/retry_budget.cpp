#include "gateway/retry_budget.hpp"

#include <algorithm>

namespace themis::gateway {

bool retry_budget::try_acquire(uint32_t active_requests) {
  uint64_t allowed = std::max<uint64_t>(
    cfg_.min_concurrent, uint64_t(active_requests) * cfg_.percent / 100);
  allowed = std::min<uint64_t>(allowed, max_retries_);
  if (active_ >= allowed) {
    ++refused_;
    return false;
  }
  ++active_;
  return true;
}

uint32_t retry_budget::backoff_ms(uint32_t attempt, uint32_t base_ms,
                                  uint32_t max_ms, double unit) {
  uint64_t cap = base_ms;
  for (uint32_t k = 1; k < attempt && cap < max_ms; ++k)
    cap *= 2;
  cap = std::min<uint64_t>(cap, max_ms);
  auto v = static_cast<uint64_t>(unit * double(cap + 1));
  return static_cast<uint32_t>(std::min<uint64_t>(v, cap));
}

} // namespace themis::gateway
