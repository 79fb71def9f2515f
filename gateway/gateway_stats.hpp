#pragma once
/// Counters of the gateway per route and per upstream cluster, written by
/// the connection actors and cluster actors, read by /metrics and
/// GET /api/v1/gateway/upstreams. Atomics for counters, one mutex for the
/// endpoint snapshot a cluster actor publishes. Kept by name across
/// reloads, so counters do not restart when the table is replaced.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace themis::gateway {

/// Upstream latency buckets, seconds (Prometheus histogram).
inline constexpr std::array<double, 12> latency_buckets = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

struct latency_histogram {
  std::array<std::atomic<uint64_t>, latency_buckets.size() + 1> counts{};
  std::atomic<uint64_t> sum_us{0};
  void observe(double seconds) {
    size_t i = 0;
    while (i < latency_buckets.size() && seconds > latency_buckets[i])
      ++i;
    counts[i].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6),
                     std::memory_order_relaxed);
  }
};

struct endpoint_snapshot {
  std::string address;
  uint32_t weight = 1;
  bool healthy = true;  ///< active health checks (true without them)
  bool ejected = false; ///< outlier detection
  uint64_t ejected_for_ms = 0;
  uint32_t active = 0;
  double avg_ms = 0, p99_ms = 0;
  uint64_t requests = 0, failures = 0;
};

struct cluster_stats {
  std::string name;
  std::string lb;
  std::atomic<uint64_t> requests{0}; ///< upstream attempts
  std::atomic<uint64_t> failures{0}; ///< attempts ending 5xx or in error
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> retries_refused{0}; ///< over the retry budget
  std::atomic<uint64_t> ejections{0};
  std::atomic<uint64_t> overflows{0}; ///< breaker limits refused (503)
  std::atomic<uint64_t> coalesced{0}; ///< requests that shared a call
  std::atomic<uint64_t> timeouts{0};
  std::atomic<int> breaker_open{0}; ///< 1 while a limit refuses requests
  std::atomic<uint32_t> open_connections{0};
  std::atomic<uint32_t> active{0};
  latency_histogram latency;
  mutable std::mutex mtx;
  std::vector<endpoint_snapshot> endpoints; ///< under mtx
};

struct route_stats {
  std::string name;
  std::string action;
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 5> by_class{}; ///< 1xx..5xx
  latency_histogram latency;
  void record(int status, double seconds) {
    requests.fetch_add(1, std::memory_order_relaxed);
    if (status >= 100 && status < 600)
      by_class[status / 100 - 1].fetch_add(1, std::memory_order_relaxed);
    latency.observe(seconds);
  }
};

} // namespace themis::gateway
