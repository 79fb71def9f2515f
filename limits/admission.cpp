#include "limits/admission.hpp"

namespace themis::limits {

bool admission::admit(int64_t now_ns) {
  auto q = queued_.load(std::memory_order_relaxed);
  bool ok = true;
  if (q >= cfg_.max_queue) {
    ok = false;
  } else if (dropping_.load(std::memory_order_relaxed)) {
    ok = q == 0; // the standing queue is gone: let the next one probe
  } else if (auto b = busy_since_.load(std::memory_order_relaxed);
             b != 0 && q > busy_taken_.load(std::memory_order_relaxed) &&
             now_ns - b > cfg_.target_ns) {
    ok = false; // the consumer is stuck and others already wait
  }
  if (!ok)
    shed.fetch_add(1, std::memory_order_relaxed);
  return ok;
}

void admission::observe_sojourn(int64_t sojourn_ns, int64_t now_ns) {
  if (sojourn_ns < cfg_.target_ns) {
    first_above_.store(unset, std::memory_order_relaxed);
    dropping_.store(false, std::memory_order_relaxed);
    return;
  }
  auto first = first_above_.load(std::memory_order_relaxed);
  if (first == unset)
    first_above_.store(now_ns, std::memory_order_relaxed);
  else if (now_ns - first >= cfg_.interval_ns)
    dropping_.store(true, std::memory_order_relaxed);
}

} // namespace themis::limits
