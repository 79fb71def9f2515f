#include "gateway/latency_window.hpp"

#include <algorithm>
#include <cmath>

namespace themis::gateway {

latency_window::latency_window(uint32_t capacity) :
  ring_(std::max<uint32_t>(capacity, 1)) {}

void latency_window::add(double ms) {
  if (filled_ == ring_.size())
    sum_ -= ring_[next_];
  else
    ++filled_;
  ring_[next_] = ms;
  sum_ += ms;
  next_ = (next_ + 1) % ring_.size();
  if (++since_p99_ >= 16)
    p99_valid_ = false;
}

double latency_window::p99_ms() {
  if (filled_ == 0)
    return 0;
  if (!p99_valid_) {
    std::vector<double> v(ring_.begin(), ring_.begin() + filled_);
    auto k = static_cast<size_t>(std::ceil(0.99 * v.size())) - 1;
    std::nth_element(v.begin(), v.begin() + k, v.end());
    p99_ = v[k];
    since_p99_ = 0;
    p99_valid_ = true;
  }
  return p99_;
}

} // namespace themis::gateway
