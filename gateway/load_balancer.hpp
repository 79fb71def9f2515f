#pragma once
/// Picks an endpoint of one cluster for a request. The caller (the cluster
/// actor) owns the endpoints' state and passes a view of it: which are
/// available (healthy and not ejected), their requests in flight and their
/// latency windows. Pure and single-threaded: one per cluster actor.

#include <cstdint>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "gateway/gateway_config.hpp"
#include "gateway/latency_window.hpp"
#include "gateway/maglev_table.hpp"

namespace themis::gateway {

struct endpoint_load {
  bool available = true;
  uint32_t active = 0;               ///< requests in flight
  latency_window* latency = nullptr; ///< smart routing only
};

class load_balancer {
public:
  /// `seed` makes random choices reproducible in tests.
  load_balancer(const cluster_config& c, uint64_t seed = 0x5eed);

  /// Index of the chosen endpoint, or -1 when none is available.
  /// `key_hash` is the ring_hash/maglev key (ignored by other policies).
  int pick(const std::vector<endpoint_load>& eps, uint64_t key_hash = 0);

  lb_policy policy() const { return policy_; }
  /// Endpoints the last smart pick excluded for a slow p99 (metrics).
  uint32_t last_excluded() const { return last_excluded_; }

  /// 64-bit FNV-1a then a mixer: the ring's hash of keys and points.
  static uint64_t hash(std::string_view s);

private:
  int pick_round_robin(const std::vector<endpoint_load>& eps);
  int pick_weighted(const std::vector<endpoint_load>& eps);
  int pick_least_request(const std::vector<endpoint_load>& eps);
  int pick_random(const std::vector<endpoint_load>& eps);
  int pick_ring(const std::vector<endpoint_load>& eps, uint64_t h);
  int pick_smart(const std::vector<endpoint_load>& eps);
  int pick_maglev(const std::vector<endpoint_load>& eps, uint64_t h);

  lb_policy policy_;
  std::vector<uint32_t> weights_;
  smart_config smart_;
  uint64_t rr_ = 0;
  std::vector<int64_t> current_; ///< smooth weighted round robin state
  /// (point, endpoint) sorted by point: 100 points per unit of weight.
  std::vector<std::pair<uint64_t, uint32_t>> ring_;
  std::unique_ptr<maglev_table> maglev_;
  std::mt19937_64 rng_;
  uint32_t last_excluded_ = 0;
  uint64_t probe_ = 0;
  static constexpr uint64_t probe_every = 50;
};

} // namespace themis::gateway
