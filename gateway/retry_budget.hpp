#pragma once
/// Envoy's retry budget: a retry may start while retries in flight stay
/// under max(min_concurrent, percent% of requests in flight), so a failing
/// upstream sees at most a bounded extra load from retries. Backoff is
/// "full jitter": uniform in [0, min(max, base * 2^attempt)].

#include <cstdint>

#include "gateway/gateway_config.hpp"

namespace themis::gateway {

class retry_budget {
public:
  explicit retry_budget(const retry_budget_config& c, uint32_t max_retries) :
    cfg_(c), max_retries_(max_retries) {}

  /// Takes a retry slot if the budget allows one now.
  bool try_acquire(uint32_t active_requests);
  void release() {
    if (active_ > 0)
      --active_;
  }
  uint32_t active() const { return active_; }
  uint64_t refused() const { return refused_; }

  /// Backoff before retry number `attempt` (1-based); `unit` in [0, 1).
  static uint32_t backoff_ms(uint32_t attempt, uint32_t base_ms,
                             uint32_t max_ms, double unit);

private:
  retry_budget_config cfg_;
  uint32_t max_retries_;
  uint32_t active_ = 0;
  uint64_t refused_ = 0;
};

} // namespace themis::gateway
