#pragma once
/// A rolling window of one endpoint's latest latencies (smart routing):
/// average and p99 over the last `capacity` samples. p99 is recomputed
/// lazily (every 16 samples), so a pick costs no sort.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace themis::gateway {

class latency_window {
public:
  explicit latency_window(uint32_t capacity = 128);
  void add(double ms);
  uint32_t samples() const { return static_cast<uint32_t>(filled_); }
  double avg_ms() const { return filled_ ? sum_ / filled_ : 0.0; }
  double p99_ms();

private:
  std::vector<double> ring_;
  size_t next_ = 0;
  size_t filled_ = 0;
  double sum_ = 0;
  double p99_ = 0;
  uint32_t since_p99_ = 0;
  bool p99_valid_ = false;
};

} // namespace themis::gateway
