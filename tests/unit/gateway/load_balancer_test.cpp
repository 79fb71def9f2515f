#include <gtest/gtest.h>

#include <map>

#include "gateway/latency_window.hpp"
#include "gateway/load_balancer.hpp"
#include "gateway/outlier_detector.hpp"
#include "gateway/retry_budget.hpp"

using namespace themis::gateway;

namespace {

cluster_config cluster(lb_policy p, std::vector<uint32_t> weights) {
  cluster_config c;
  c.lb = p;
  for (size_t i = 0; i < weights.size(); ++i)
    c.endpoints.push_back({"10.0.0." + std::to_string(i + 1), 80, weights[i]});
  return c;
}

std::vector<int> counts(load_balancer& lb, std::vector<endpoint_load>& eps,
                        int n) {
  std::vector<int> out(eps.size());
  for (int i = 0; i < n; ++i) {
    auto k = lb.pick(eps, static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull);
    EXPECT_GE(k, 0);
    if (k >= 0)
      ++out[k];
  }
  return out;
}

} // namespace

TEST(LoadBalancer, RoundRobinIsEvenAndSkipsUnavailable) {
  load_balancer lb(cluster(lb_policy::round_robin, {1, 1, 1}));
  std::vector<endpoint_load> eps(3);
  auto c = counts(lb, eps, 300);
  EXPECT_EQ(c, (std::vector<int>{100, 100, 100}));
  eps[1].available = false;
  c = counts(lb, eps, 300);
  EXPECT_EQ(c, (std::vector<int>{150, 0, 150}));
  for (auto& e : eps)
    e.available = false;
  EXPECT_EQ(lb.pick(eps), -1);
}

TEST(LoadBalancer, WeightedFollowsWeightsSmoothly) {
  load_balancer lb(cluster(lb_policy::weighted, {5, 1, 1}));
  std::vector<endpoint_load> eps(3);
  auto c = counts(lb, eps, 700);
  EXPECT_EQ(c, (std::vector<int>{500, 100, 100}));
  // smooth: never 5 of the heavy one in a row (nginx's a a b a c a a)
  std::string seq;
  for (int i = 0; i < 7; ++i)
    seq += static_cast<char>('a' + lb.pick(eps));
  EXPECT_EQ(seq.find("aaaa"), std::string::npos) << seq;
}

TEST(LoadBalancer, RandomIsRoughlyUniform) {
  load_balancer lb(cluster(lb_policy::random, {1, 1, 1, 1}));
  std::vector<endpoint_load> eps(4);
  auto c = counts(lb, eps, 40000);
  for (auto x : c)
    EXPECT_NEAR(x, 10000, 600);
}

TEST(LoadBalancer, LeastRequestPrefersIdleEndpoints) {
  load_balancer lb(cluster(lb_policy::least_request, {1, 1, 1}));
  std::vector<endpoint_load> eps(3);
  eps[0].active = 50;
  eps[1].active = 0;
  eps[2].active = 50;
  auto c = counts(lb, eps, 3000);
  // endpoint 1 wins every pair it is in: 2/3 of picks
  EXPECT_NEAR(c[1], 2000, 150);
  EXPECT_NEAR(c[0] + c[2], 1000, 150);
}

TEST(LoadBalancer, RingHashIsStickyAndStable) {
  auto c3 = cluster(lb_policy::ring_hash, {1, 1, 1});
  load_balancer lb3(c3);
  std::vector<endpoint_load> eps3(3);
  std::map<std::string, int> before;
  std::vector<int> spread(3);
  for (int i = 0; i < 3000; ++i) {
    auto key = "user-" + std::to_string(i);
    auto h = load_balancer::hash(key);
    auto k = lb3.pick(eps3, h);
    ASSERT_EQ(k, lb3.pick(eps3, h)); // same key, same endpoint
    before[key] = k;
    ++spread[k];
  }
  for (auto x : spread)
    EXPECT_NEAR(x, 1000, 250);
  // taking endpoint 2 out moves only its keys
  eps3[2].available = false;
  int moved = 0;
  for (auto& [key, k] : before) {
    auto now = lb3.pick(eps3, load_balancer::hash(key));
    if (k != 2) {
      EXPECT_EQ(now, k);
    }
    moved += now != k;
  }
  EXPECT_EQ(moved, spread[2]);
  // a fourth endpoint takes about a quarter and moves nothing else
  auto c4 = cluster(lb_policy::ring_hash, {1, 1, 1, 1});
  load_balancer lb4(c4);
  std::vector<endpoint_load> eps4(4);
  int to_new = 0;
  for (auto& [key, k] : before) {
    auto now = lb4.pick(eps4, load_balancer::hash(key));
    if (now == 3)
      ++to_new;
    else
      EXPECT_EQ(now, k);
  }
  EXPECT_NEAR(to_new, 750, 250);
}

TEST(LoadBalancer, SmartExcludesSlowP99AndBalancesTheRest) {
  auto c = cluster(lb_policy::smart, {1, 1, 1});
  c.smart.p99_threshold_ms = 50;
  c.smart.min_samples = 10;
  load_balancer lb(c);
  std::vector<latency_window> w(3, latency_window(64));
  for (int i = 0; i < 64; ++i) {
    w[0].add(5);
    w[1].add(i == 63 ? 400 : 6); // one slow tail sample: p99 is 400
    w[2].add(5.5);               // within 20% of the best: shares the load
  }
  std::vector<endpoint_load> eps(3);
  for (int i = 0; i < 3; ++i)
    eps[i].latency = &w[i];
  auto n = counts(lb, eps, 300);
  EXPECT_EQ(n[1], 6); // only the probes: 1 pick in 50

  EXPECT_EQ(lb.last_excluded(), 1u);
  EXPECT_GT(n[0], 50);
  EXPECT_GT(n[2], 50);
  // least loaded wins among the fast ones
  eps[0].active = 10;
  EXPECT_EQ(lb.pick(eps), 2);
  // on equal load a clearly faster endpoint wins
  eps[0].active = 0;
  for (int i = 0; i < 64; ++i)
    w[2].add(20);
  EXPECT_EQ(lb.pick(eps), 0);
  EXPECT_EQ(lb.pick(eps), 0);
  // everyone slow: still answers (least bad), never -1
  for (int i = 0; i < 64; ++i)
    w[0].add(500), w[2].add(500);
  EXPECT_GE(lb.pick(eps), 0);
}

TEST(LatencyWindow, AverageAndP99) {
  latency_window w(100);
  for (int i = 1; i <= 100; ++i)
    w.add(i);
  EXPECT_DOUBLE_EQ(w.avg_ms(), 50.5);
  EXPECT_DOUBLE_EQ(w.p99_ms(), 99);
  for (int i = 0; i < 100; ++i) // the window rolls
    w.add(1);
  EXPECT_DOUBLE_EQ(w.avg_ms(), 1);
  EXPECT_DOUBLE_EQ(w.p99_ms(), 1);
}

TEST(OutlierDetector, EjectsWithBackoffAndReturns) {
  outlier_config c;
  c.consecutive_5xx = 3;
  c.base_ejection_ms = 1000;
  c.max_ejection_ms = 3000;
  c.max_ejection_percent = 50;
  outlier_detector d(c, 4);
  EXPECT_FALSE(d.record(0, true, 0));
  EXPECT_FALSE(d.record(0, false, 0)); // a success resets the run
  EXPECT_FALSE(d.record(0, true, 0));
  EXPECT_FALSE(d.record(0, true, 0));
  EXPECT_TRUE(d.record(0, true, 0));
  EXPECT_TRUE(d.ejected(0, 999));
  EXPECT_FALSE(d.ejected(0, 1000)); // back after base
  for (int i = 0; i < 3; ++i)
    d.record(0, true, 2000);
  EXPECT_EQ(d.ejected_until(0), 4000u); // second time: 2x
  for (int i = 0; i < 3; ++i)
    d.record(0, true, 5000);
  for (int i = 0; i < 3; ++i)
    d.record(0, true, 9000);
  EXPECT_EQ(d.ejected_until(0), 12000u); // capped at max
  // at most 50% of 4 endpoints out at once
  for (int i = 0; i < 3; ++i)
    d.record(1, true, 9000);
  EXPECT_TRUE(d.ejected(1, 9000));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(d.record(2, true, 9000));
  EXPECT_FALSE(d.ejected(2, 9000));
  EXPECT_EQ(d.ejections_total(), 5u);
}

TEST(RetryBudget, BoundsConcurrentRetries) {
  retry_budget b({20, 2}, 100);
  EXPECT_TRUE(b.try_acquire(1));
  EXPECT_TRUE(b.try_acquire(1)); // the minimum
  EXPECT_FALSE(b.try_acquire(1));
  EXPECT_EQ(b.refused(), 1u);
  EXPECT_TRUE(b.try_acquire(50)); // 20% of 50 = 10
  for (int i = 0; i < 7; ++i)
    EXPECT_TRUE(b.try_acquire(50));
  EXPECT_FALSE(b.try_acquire(50));
  b.release();
  EXPECT_TRUE(b.try_acquire(50));
  retry_budget capped({100, 100}, 1); // breaker's max_retries caps it
  EXPECT_TRUE(capped.try_acquire(1000));
  EXPECT_FALSE(capped.try_acquire(1000));
}

TEST(RetryBudget, JitteredBackoffStaysInRange) {
  EXPECT_EQ(retry_budget::backoff_ms(1, 25, 250, 0.0), 0u);
  EXPECT_EQ(retry_budget::backoff_ms(1, 25, 250, 0.999), 25u);
  EXPECT_EQ(retry_budget::backoff_ms(2, 25, 250, 0.999), 50u);
  EXPECT_EQ(retry_budget::backoff_ms(10, 25, 250, 0.999), 250u);
  EXPECT_LE(retry_budget::backoff_ms(3, 25, 250, 0.5), 100u);
}
