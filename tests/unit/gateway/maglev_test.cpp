#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "gateway/load_balancer.hpp"
#include "gateway/maglev_table.hpp"

using namespace themis::gateway;

namespace {

std::vector<std::string> names(int n, int skip = -1) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    if (i != skip)
      out.push_back("10.0.0." + std::to_string(i + 1) + ":8080");
  return out;
}

std::vector<size_t> counts(const maglev_table& t, size_t n) {
  std::vector<size_t> c(n, 0);
  for (auto s : t.slots())
    ++c.at(static_cast<size_t>(s));
  return c;
}

} // namespace

TEST(Maglev, PrimesAndEveryEndpointOwnsItsShare) {
  EXPECT_TRUE(maglev_table::is_prime(65537));
  EXPECT_TRUE(maglev_table::is_prime(7));
  EXPECT_FALSE(maglev_table::is_prime(65536));
  EXPECT_FALSE(maglev_table::is_prime(1));
  maglev_table t(names(10), std::vector<uint32_t>(10, 1), 65537);
  ASSERT_EQ(t.slots().size(), 65537u);
  auto c = counts(t, 10);
  // equal turns: shares differ by at most one slot
  EXPECT_LE(*std::max_element(c.begin(), c.end()) -
              *std::min_element(c.begin(), c.end()),
            1u);
}

TEST(Maglev, WeightsSetTheShares) {
  maglev_table t(names(3), {1, 2, 1}, 65537);
  auto c = counts(t, 3);
  EXPECT_NEAR(double(c[1]) / 65537, 0.5, 0.01);
  EXPECT_NEAR(double(c[0]) / 65537, 0.25, 0.01);
  EXPECT_NEAR(double(c[2]) / 65537, 0.25, 0.01);
}

TEST(Maglev, RemovingOrAddingOneEndpointMovesFewOtherKeys) {
  const int n = 10;
  maglev_table full(names(n), std::vector<uint32_t>(n, 1), 65537);
  // remove endpoint 3: its slots go elsewhere, the others' mostly stay
  auto less_names = names(n, 3);
  maglev_table less(less_names, std::vector<uint32_t>(n - 1, 1), 65537);
  size_t kept_total = 0, moved = 0;
  for (size_t i = 0; i < 65537; ++i) {
    auto before = names(n)[full.slots()[i]];
    auto after = less_names[less.slots()[i]];
    if (before == names(n)[3])
      continue; // had to move
    ++kept_total;
    if (before != after)
      ++moved;
  }
  double disruption = double(moved) / kept_total;
  // (measured ~0.3% with 10 endpoints and M = 65537; the paper's
  // figure 12 shows disruption growing with the share that changes)
  EXPECT_LT(disruption, 0.02) << disruption;
  // add an 11th: it takes ~1/11 of the slots, few others move between
  // the old ten
  auto more_names = names(n + 1);
  maglev_table more(more_names, std::vector<uint32_t>(n + 1, 1), 65537);
  size_t to_new = 0, shuffled = 0;
  for (size_t i = 0; i < 65537; ++i) {
    auto before = names(n)[full.slots()[i]];
    auto after = more_names[more.slots()[i]];
    if (after == more_names[n])
      ++to_new;
    else if (before != after)
      ++shuffled;
  }
  EXPECT_NEAR(double(to_new) / 65537, 1.0 / 11, 0.01);
  EXPECT_LT(double(shuffled) / 65537, 0.02) << shuffled;
}

TEST(Maglev, UnavailableEndpointsKeysSpreadOthersStay) {
  maglev_table t(names(5), std::vector<uint32_t>(5, 1), 65537);
  std::map<int, int> moved_to;
  size_t others_moved = 0;
  for (uint64_t k = 0; k < 20000; ++k) {
    uint64_t h = load_balancer::hash("key" + std::to_string(k));
    int a = t.lookup(h);
    int b = t.lookup(h, [](int32_t i) { return i != 2; });
    ASSERT_NE(b, 2);
    if (a == 2)
      ++moved_to[b];
    else if (a != b)
      ++others_moved;
  }
  EXPECT_EQ(others_moved, 0u);
  EXPECT_EQ(moved_to.size(), 4u); // spread over all four others
  EXPECT_EQ(t.lookup(1, [](int32_t) { return false; }), -1);
}

TEST(Maglev, LoadBalancerKeepsAffinity) {
  cluster_config c;
  c.lb = lb_policy::maglev;
  c.maglev_table_size = 65537;
  for (int i = 0; i < 4; ++i)
    c.endpoints.push_back({"10.0.0." + std::to_string(i + 1), 80, 1});
  load_balancer lb(c);
  std::vector<endpoint_load> eps(4);
  std::map<int, int> seen;
  for (int k = 0; k < 1000; ++k) {
    auto h = load_balancer::hash("user" + std::to_string(k));
    int a = lb.pick(eps, h);
    EXPECT_EQ(lb.pick(eps, h), a); // the same key, the same endpoint
    ++seen[a];
  }
  EXPECT_EQ(seen.size(), 4u);
  for (auto& [ep, n] : seen)
    EXPECT_GT(n, 150) << ep; // ~250 each
  eps[0].available = false;
  for (int k = 0; k < 200; ++k)
    EXPECT_NE(lb.pick(eps, load_balancer::hash(std::to_string(k))), 0);
}
