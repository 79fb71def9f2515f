/// The hnswlib wrapper: recall against brute force, updates and deletes
/// by key, capacity, save/load and unreadable files.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "engine/vector/vector_index.hpp"

using namespace themis::vector;

namespace {

std::vector<std::vector<float>> random_vectors(size_t n, size_t dim,
                                               unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (auto& v : out)
    for (auto& x : v)
      x = d(rng);
  return out;
}

std::string tmp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("themis_vec_") + name + "_" +
           std::to_string(::getpid())))
    .string();
}

} // namespace

class VectorIndexMetric : public ::testing::TestWithParam<metric> {};

TEST_P(VectorIndexMetric, RecallAgainstBruteForce) {
  const size_t n = 2000, dim = 16, k = 10;
  auto data = random_vectors(n, dim, 1);
  vector_index idx(dim, GetParam(), 16, 200, 100, 100000);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(idx.upsert("k" + std::to_string(i), data[i]), "");
  auto queries = random_vectors(50, dim, 2);
  size_t found = 0;
  for (auto& q : queries) {
    std::vector<std::pair<float, size_t>> all;
    for (size_t i = 0; i < n; ++i)
      all.push_back({distance(GetParam(), q, data[i]), i});
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    std::set<std::string> truth;
    for (size_t i = 0; i < k; ++i)
      truth.insert("k" + std::to_string(all[i].second));
    auto hits = idx.search(q, k);
    ASSERT_EQ(hits.size(), k);
    for (size_t i = 1; i < hits.size(); ++i)
      EXPECT_LE(hits[i - 1].distance, hits[i].distance + 1e-5);
    for (auto& h : hits)
      found += truth.count(h.key);
    // reported distances are the metric's, not hnswlib's internal ones
    size_t best = std::stoul(hits[0].key.substr(1));
    EXPECT_NEAR(hits[0].distance, distance(GetParam(), q, data[best]), 1e-3);
  }
  EXPECT_GE(static_cast<double>(found) / (queries.size() * k), 0.95);
}

INSTANTIATE_TEST_SUITE_P(Metrics, VectorIndexMetric,
                         ::testing::Values(metric::cosine, metric::l2,
                                           metric::inner_product));

TEST(VectorIndex, UpdateAndDeleteByKey) {
  vector_index idx(2, metric::l2, 16, 100, 50, 10);
  ASSERT_EQ(idx.upsert("a", std::vector<float>{0, 0}), "");
  ASSERT_EQ(idx.upsert("b", std::vector<float>{10, 10}), "");
  EXPECT_EQ(idx.search(std::vector<float>{0, 0}, 1)[0].key, "a");
  ASSERT_EQ(idx.upsert("a", std::vector<float>{20, 20}), ""); // moved
  EXPECT_EQ(idx.search(std::vector<float>{0, 0}, 1)[0].key, "b");
  EXPECT_EQ(idx.live_count(), 2u);
  idx.remove("b");
  idx.remove("b"); // twice is fine
  idx.remove("never");
  EXPECT_EQ(idx.live_count(), 1u);
  auto hits = idx.search(std::vector<float>{0, 0}, 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, "a");
  ASSERT_EQ(idx.upsert("b", std::vector<float>{1, 1}), ""); // back again
  EXPECT_EQ(idx.search(std::vector<float>{0, 0}, 1)[0].key, "b");
  EXPECT_EQ(idx.live_count(), 2u);
}

TEST(VectorIndex, CapacityIsBounded) {
  vector_index idx(2, metric::l2, 8, 50, 50, 3);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
      idx.upsert("k" + std::to_string(i), std::vector<float>{float(i), 0}), "");
  EXPECT_NE(idx.upsert("k9", std::vector<float>{9, 9}), "");
  EXPECT_EQ(idx.upsert("k1", std::vector<float>{5, 5}), ""); // update fits
}

TEST(VectorIndex, GrowsPastInitialCapacity) {
  auto data = random_vectors(3000, 4, 3);
  vector_index idx(4, metric::cosine, 8, 50, 50, 5000);
  for (size_t i = 0; i < data.size(); ++i)
    ASSERT_EQ(idx.upsert(std::to_string(i), data[i]), "");
  EXPECT_EQ(idx.live_count(), 3000u);
}

TEST(VectorIndex, SaveAndLoad) {
  auto path = tmp_path("save");
  auto data = random_vectors(500, 8, 4);
  {
    vector_index idx(8, metric::cosine, 16, 100, 50, 1000);
    for (size_t i = 0; i < data.size(); ++i)
      ASSERT_EQ(idx.upsert("k" + std::to_string(i), data[i]), "");
    idx.remove("k3");
    idx.save(path);
  }
  vector_index back(8, metric::cosine, 16, 100, 50, 1000);
  ASSERT_TRUE(back.load(path));
  EXPECT_EQ(back.live_count(), 499u);
  EXPECT_EQ(back.search(data[7], 1)[0].key, "k7");
  for (auto& h : back.search(data[3], 20))
    EXPECT_NE(h.key, "k3");
  // another dimension, a truncated key table, a missing file: refused
  vector_index other(4, metric::cosine, 16, 100, 50, 1000);
  EXPECT_FALSE(other.load(path));
  {
    std::ofstream trunc(path + ".keys", std::ios::binary | std::ios::trunc);
    trunc << "xx";
  }
  vector_index again(8, metric::cosine, 16, 100, 50, 1000);
  EXPECT_FALSE(again.load(path));
  EXPECT_FALSE(again.load(path + ".missing"));
  EXPECT_EQ(again.live_count(), 0u);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".keys");
}
