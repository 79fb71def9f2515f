#include "gateway/load_balancer.hpp"

#include <algorithm>
#include <limits>

#include "themis/ring_hash.hpp"

namespace themis::gateway {

namespace {

constexpr uint32_t ring_points_per_weight = 100;

std::vector<int> available(const std::vector<endpoint_load>& eps) {
  std::vector<int> out;
  for (size_t i = 0; i < eps.size(); ++i)
    if (eps[i].available)
      out.push_back(static_cast<int>(i));
  return out;
}

} // namespace

uint64_t load_balancer::hash(std::string_view s) {
  return ring_hash64(s);
}

load_balancer::load_balancer(const cluster_config& c, uint64_t seed) :
  policy_(c.lb), smart_(c.smart), rng_(seed) {
  for (auto& e : c.endpoints)
    weights_.push_back(std::max<uint32_t>(e.weight, 1));
  current_.assign(weights_.size(), 0);
  if (policy_ == lb_policy::ring_hash) {
    // Points depend on the endpoint's address, not its position, so adding
    // or removing one endpoint moves only the keys that land on it.
    for (uint32_t i = 0; i < c.endpoints.size(); ++i) {
      auto addr = c.endpoints[i].address();
      for (uint32_t p = 0; p < ring_points_per_weight * weights_[i]; ++p)
        ring_.emplace_back(hash(addr + "#" + std::to_string(p)), i);
    }
    std::sort(ring_.begin(), ring_.end());
  }
  if (policy_ == lb_policy::maglev) {
    std::vector<std::string> names;
    for (auto& e : c.endpoints)
      names.push_back(e.address()); // (by address, as the ring)
    maglev_ =
      std::make_unique<maglev_table>(names, weights_, c.maglev_table_size);
  }
}

int load_balancer::pick(const std::vector<endpoint_load>& eps,
                        uint64_t key_hash) {
  if (eps.empty())
    return -1;
  switch (policy_) {
    case lb_policy::round_robin:
      return pick_round_robin(eps);
    case lb_policy::weighted:
      return pick_weighted(eps);
    case lb_policy::least_request:
      return pick_least_request(eps);
    case lb_policy::random:
      return pick_random(eps);
    case lb_policy::ring_hash:
      return pick_ring(eps, key_hash);
    case lb_policy::smart:
      return pick_smart(eps);
    case lb_policy::maglev:
      return pick_maglev(eps, key_hash);
  }
  return -1;
}

int load_balancer::pick_round_robin(const std::vector<endpoint_load>& eps) {
  auto n = eps.size();
  for (size_t i = 0; i < n; ++i) {
    auto idx = (rr_ + i) % n;
    if (eps[idx].available) {
      rr_ = idx + 1;
      return static_cast<int>(idx);
    }
  }
  return -1;
}

int load_balancer::pick_weighted(const std::vector<endpoint_load>& eps) {
  // nginx's smooth weighted round robin over the available endpoints
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < eps.size() && i < weights_.size(); ++i) {
    if (!eps[i].available)
      continue;
    current_[i] += weights_[i];
    total += weights_[i];
    if (best < 0 || current_[i] > current_[best])
      best = static_cast<int>(i);
  }
  if (best >= 0)
    current_[best] -= total;
  return best;
}

int load_balancer::pick_random(const std::vector<endpoint_load>& eps) {
  auto avail = available(eps);
  if (avail.empty())
    return -1;
  return avail[rng_() % avail.size()];
}

int load_balancer::pick_least_request(const std::vector<endpoint_load>& eps) {
  auto avail = available(eps);
  if (avail.empty())
    return -1;
  if (avail.size() == 1)
    return avail[0];
  auto m = avail.size();
  auto ia = rng_() % m;
  auto ib = rng_() % (m - 1);
  if (ib >= ia) // distinct second choice without a retry loop
    ++ib;
  auto a = avail[ia], b = avail[ib];
  uint64_t la = uint64_t(eps[a].active) * weights_[b];
  uint64_t lb = uint64_t(eps[b].active) * weights_[a];
  return la <= lb ? a : b;
}

int load_balancer::pick_ring(const std::vector<endpoint_load>& eps,
                             uint64_t h) {
  if (ring_.empty())
    return -1;
  auto it = std::lower_bound(ring_.begin(), ring_.end(),
                             std::make_pair(h, uint32_t(0)));
  for (size_t n = 0; n < ring_.size(); ++n, ++it) {
    if (it == ring_.end())
      it = ring_.begin();
    if (it->second < eps.size() && eps[it->second].available)
      return static_cast<int>(it->second);
  }
  return -1;
}

int load_balancer::pick_maglev(const std::vector<endpoint_load>& eps,
                               uint64_t h) {
  if (!maglev_)
    return -1;
  return maglev_->lookup(h, [&](int32_t i) {
    return static_cast<size_t>(i) < eps.size() && eps[i].available;
  });
}

int load_balancer::pick_smart(const std::vector<endpoint_load>& eps) {
  auto n = eps.size();
  std::vector<bool> slow(n, false);
  uint32_t available = 0, excluded = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!eps[i].available)
      continue;
    ++available;
    auto* w = eps[i].latency;
    if (smart_.p99_threshold_ms && w && w->samples() >= smart_.min_samples &&
        w->p99_ms() > smart_.p99_threshold_ms) {
      slow[i] = true;
      ++excluded;
    }
  }
  last_excluded_ = excluded;
  if (available == 0)
    return -1;
  bool use_slow = excluded == available; // all slow: least bad of them
  // An excluded endpoint gets no traffic, so its window would never show
  // it recovered: one pick in `probe_every` goes to an excluded one.
  if (excluded && !use_slow && ++probe_ % probe_every == 0) {
    for (size_t k = 0; k < n; ++k) {
      auto i = (probe_ / probe_every + k) % n;
      if (eps[i].available && slow[i])
        return static_cast<int>(i);
    }
  }
  // Least loaded on (active, average latency); start the scan at a rotating
  // offset so equal endpoints share the load instead of the first winning.
  int best = -1;
  double best_avg = 0;
  uint32_t best_active = 0;
  for (size_t k = 0; k < n; ++k) {
    auto i = (rr_ + k) % n;
    if (!eps[i].available || (slow[i] && !use_slow))
      continue;
    double avg = eps[i].latency ? eps[i].latency->avg_ms() : 0;
    auto act = eps[i].active;
    if (best < 0 || act < best_active ||
        (act == best_active && avg < best_avg * 0.8)) {
      best = static_cast<int>(i);
      best_active = act;
      best_avg = avg;
    }
  }
  ++rr_;
  return best;
}

} // namespace themis::gateway
