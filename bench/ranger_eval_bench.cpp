/// Ranger evaluator cost (issue 24, docs/security.md "Apache Ranger"):
/// parse a ServicePolicies document of N policies and time one decision
/// that matches the middle policy. Build and run after `cmake --build build
/// --target themis_ranger`:
///   g++ -std=c++20 -O2 -I. -Iinclude bench/ranger_eval_bench.cpp \
///     build/libthemis_ranger.a -o /tmp/ranger_eval_bench
///   for n in 10 100 1000 10000; do /tmp/ranger_eval_bench $n; done
#include "auth/ranger/ranger_evaluator.hpp"
#include <chrono>
#include <cstdio>
#include <string>
using namespace themis::auth::ranger;
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  std::string doc =
    "{\"serviceName\":\"themis\",\"policyVersion\":1,\"policies\":[";
  for (int i = 0; i < n; ++i) {
    if (i)
      doc += ",";
    doc += "{\"id\":" + std::to_string(i) +
           ",\"resources\":{\"tenant\":{\"values\":[\"*\"]},\"collection\":{"
           "\"values\":[\"coll" +
           std::to_string(i) + "*\"]}},\"policyItems\":[{\"users\":[\"u" +
           std::to_string(i) +
           "\"],\"groups\":[\"g1\"],\"accesses\":[{\"type\":\"read\","
           "\"isAllowed\":true}]}],\"denyPolicyItems\":[{\"users\":[\"bad\"],"
           "\"accesses\":[{\"type\":\"read\",\"isAllowed\":true}]}]}";
  }
  doc += "]}";
  std::string err;
  auto t0 = std::chrono::steady_clock::now();
  auto ps = parse_service_policies(doc, err);
  auto t1 = std::chrono::steady_clock::now();
  if (!ps) {
    std::printf("%s\n", err.c_str());
    return 1;
  }
  access_request r{{{"tenant", "acme"},
                    {"collection", "coll" + std::to_string(n / 2)},
                    {"key", "k1"}},
                   "read",
                   "u" + std::to_string(n / 2),
                   {"data:read"},
                   {"data:read"},
                   1765000000};
  int iters = 200000 / (n / 10 + 1) + 1000;
  int allowed = 0;
  auto t2 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i)
    allowed += evaluate(*ps, r).allowed;
  auto t3 = std::chrono::steady_clock::now();
  double parse_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  double us =
    std::chrono::duration<double, std::micro>(t3 - t2).count() / iters;
  std::printf(
    "policies=%d doc_bytes=%zu parse_ms=%.2f decision_us=%.3f allowed=%d/%d\n",
    n, doc.size(), parse_ms, us, allowed, iters);
}
