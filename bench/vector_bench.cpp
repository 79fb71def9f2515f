/// vector_bench: the HNSW index (engine/vector) against exact brute force
/// on generated data — build time, recall@10, queries per second and p99
/// latency per ef_search. Not a test; bench/vector_bench.sh runs it and
/// docs/vector.md has the numbers.
///
/// usage: vector_bench [n=100000] [dim=128] [queries=1000] [M=16]
///                     [ef_construction=200] [ef list=32,64,128,256]
///                     [data=gaussian|clustered]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/vector/vector_index.hpp"

using namespace themis::vector;
using clk = std::chrono::steady_clock;

namespace {

double ms_since(clk::time_point t) {
  return std::chrono::duration<double, std::milli>(clk::now() - t).count();
}

/// CPU seconds of this process: steadier than wall time on a shared box.
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double p99(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * 99 / 100)];
}

} // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
  size_t dim = argc > 2 ? std::stoul(argv[2]) : 128;
  size_t nq = argc > 3 ? std::stoul(argv[3]) : 1000;
  size_t m = argc > 4 ? std::stoul(argv[4]) : 16;
  size_t efc = argc > 5 ? std::stoul(argv[5]) : 200;
  std::string efs = argc > 6 ? argv[6] : "32,64,128,256";
  std::string kind = argc > 7 ? argv[7] : "gaussian";
  const size_t k = 10;

  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> centers(100, std::vector<float>(dim));
  for (auto& c : centers)
    for (auto& x : c)
      x = g(rng) * 3;
  auto make = [&] {
    std::vector<float> v(dim);
    if (kind == "clustered") {
      auto& c = centers[rng() % centers.size()];
      for (size_t i = 0; i < dim; ++i)
        v[i] = c[i] + g(rng);
    } else {
      for (auto& x : v)
        x = g(rng);
    }
    return v;
  };
  std::vector<std::vector<float>> data(n), queries(nq);
  for (auto& v : data)
    v = make();
  for (auto& q : queries)
    q = make();

  std::printf("data: %zu x %zu (%s), %zu queries, k=%zu, metric l2, M=%zu, "
              "ef_construction=%zu\n",
              n, dim, kind.c_str(), nq, k, m, efc);
  vector_index idx(dim, metric::l2, m, efc, 64, n);
  auto t0 = clk::now();
  double c0 = cpu_s();
  for (size_t i = 0; i < n; ++i)
    idx.upsert(std::to_string(i), data[i]);
  double build_ms = ms_since(t0), build_cpu = cpu_s() - c0;
  std::printf("build: %.1f s wall, %.1f s CPU (%.0f inserts per CPU second, "
              "one thread)\n",
              build_ms / 1000, build_cpu, n / build_cpu);

  // exact answers and brute-force latency
  std::vector<std::set<std::string>> truth(nq);
  std::vector<double> bf_lat;
  for (size_t qi = 0; qi < nq; ++qi) {
    auto t = clk::now();
    std::vector<std::pair<float, size_t>> d(n);
    for (size_t i = 0; i < n; ++i)
      d[i] = {distance(metric::l2, queries[qi], data[i]), i};
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    bf_lat.push_back(ms_since(t));
    for (size_t i = 0; i < k; ++i)
      truth[qi].insert(std::to_string(d[i].second));
  }
  double bf_cpu = cpu_s() - c0 - build_cpu;
  double bf_total = 0;
  for (double x : bf_lat)
    bf_total += x;
  std::printf("%-12s %9s %10s %12s %10s\n", "search", "recall@10", "QPS wall",
              "QPS per CPU", "p99 ms");
  std::printf("%-12s %9.4f %10.1f %12.1f %10.3f\n", "brute force", 1.0,
              nq / (bf_total / 1000), nq / bf_cpu, p99(bf_lat));
  std::stringstream ss(efs);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t ef = std::stoul(item);
    idx.set_ef_search(ef);
    std::vector<double> lat;
    size_t found = 0;
    auto tall = clk::now();
    double call = cpu_s();
    for (size_t qi = 0; qi < nq; ++qi) {
      auto t = clk::now();
      auto hits = idx.search(queries[qi], k);
      lat.push_back(ms_since(t));
      for (auto& h : hits)
        found += truth[qi].count(h.key);
    }
    double total = ms_since(tall), cpu = cpu_s() - call;
    std::printf("hnsw ef=%-4zu %9.4f %10.1f %12.1f %10.3f\n", ef,
                double(found) / (nq * k), nq / (total / 1000), nq / cpu,
                p99(lat));
  }
  return 0;
}
