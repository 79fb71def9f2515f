#include "limits/circuit_breaker.hpp"

namespace themis::limits {

const char* to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
  }
  return "closed";
}

circuit_breaker::circuit_breaker(breaker_config cfg) : cfg_(cfg) {}

void circuit_breaker::open(int64_t now_ns) {
  state_ = breaker_state::open;
  opened_at_ = now_ns;
  ++opened;
}

bool circuit_breaker::allow(int64_t now_ns) {
  if (!cfg_.enabled)
    return true;
  if (state_.load(std::memory_order_relaxed) == breaker_state::closed)
    return true; // the common case takes no lock
  std::lock_guard<std::mutex> guard(mtx_);
  if (state_ == breaker_state::open) {
    if (now_ns - opened_at_ < cfg_.open_ns) {
      ++rejected;
      return false;
    }
    state_ = breaker_state::half_open;
    trials_ = 0;
    trial_passes_ = 0;
  }
  if (state_ == breaker_state::half_open) {
    if (trials_ >= cfg_.half_open_requests) {
      ++rejected;
      return false;
    }
    ++trials_;
  }
  return true;
}

void circuit_breaker::cancel_trial() {
  std::lock_guard<std::mutex> guard(mtx_);
  if (state_ == breaker_state::half_open && trials_ > 0)
    --trials_;
}

breaker_state circuit_breaker::state_at(int64_t now_ns) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (state_ == breaker_state::open && now_ns - opened_at_ >= cfg_.open_ns)
    return breaker_state::half_open;
  return state_.load();
}

void circuit_breaker::record(bool success, int64_t now_ns) {
  if (!cfg_.enabled)
    return;
  std::lock_guard<std::mutex> guard(mtx_);
  switch (state_.load()) {
    case breaker_state::open:
      return; // a late answer from before it opened
    case breaker_state::half_open:
      if (!success) {
        open(now_ns);
      } else if (++trial_passes_ >= cfg_.half_open_requests) {
        state_ = breaker_state::closed;
        window_start_ = now_ns;
        successes_ = failures_ = 0;
      }
      return;
    case breaker_state::closed:
      if (now_ns - window_start_ >= cfg_.window_ns) {
        window_start_ = now_ns;
        successes_ = failures_ = 0;
      }
      (success ? successes_ : failures_)++;
      auto total = successes_ + failures_;
      if (total >= cfg_.min_requests &&
          static_cast<double>(failures_) >=
            cfg_.failure_ratio * static_cast<double>(total))
        open(now_ns);
      return;
  }
}

} // namespace themis::limits
