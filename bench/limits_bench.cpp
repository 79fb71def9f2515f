/// Rate-limiter and admission micro-benchmark (not a test).
///
///   build/bench/limits_bench [seconds-per-case]
///
/// One thread, the real rate_limiter: decisions per second for a hot key,
/// for 10k and 1M distinct keys (table bounded at 1M, LRU eviction), and
/// the median / p99 cost of one check measured in batches of 1000 (the
/// clock is read per batch, not per call). Admission and breaker checks
/// for the write path likewise. Prints Markdown for docs/performance.md.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "limits/admission.hpp"
#include "limits/circuit_breaker.hpp"
#include "limits/rate_limiter.hpp"

using namespace themis::limits;
using clock_type = std::chrono::steady_clock;

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

struct result {
  double per_second;
  double median_ns;
  double p99_ns;
};

template <class F>
result measure(double seconds, F&& one) {
  std::vector<double> batch_ns;
  uint64_t n = 0;
  auto end = clock_type::now() + std::chrono::duration<double>(seconds);
  auto t0 = clock_type::now();
  while (clock_type::now() < end) {
    auto b0 = clock_type::now();
    for (int i = 0; i < 1000; ++i)
      one(n++);
    batch_ns.push_back(
      std::chrono::duration<double, std::nano>(clock_type::now() - b0)
        .count() /
      1000);
  }
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::sort(batch_ns.begin(), batch_ns.end());
  return {static_cast<double>(n) / secs, batch_ns[batch_ns.size() / 2],
          batch_ns[batch_ns.size() * 99 / 100]};
}

std::shared_ptr<limiter_config> config(algorithm a) {
  auto c = std::make_shared<limiter_config>();
  c->enabled = true;
  c->algo = a;
  rule r;
  parse_rule("/ 1000000/1s burst=1000000 key=ip", r);
  c->rules.push_back(r);
  parse_rule("/v2/jobs 10/1s key=token", r);
  c->rules.push_back(r);
  return c;
}

} // namespace

int main(int argc, char** argv) {
  double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::printf("| case | decisions/s (1 thread) | median ns/check | p99 ns/check |\n");
  std::printf("|---|---:|---:|---:|\n");
  auto row = [](const char* name, result r) {
    std::printf("| %s | %.0f | %.0f | %.0f |\n", name, r.per_second,
                r.median_ns, r.p99_ns);
  };
  std::vector<std::string> keys;
  for (int i = 0; i < 1'000'000; ++i)
    keys.push_back("10." + std::to_string(i >> 16) + "." +
                   std::to_string((i >> 8) & 255) + "." +
                   std::to_string(i & 255));
  for (auto [name, algo] :
       {std::pair{"token bucket", algorithm::token_bucket},
        std::pair{"sliding window counter", algorithm::sliding_window_counter},
        std::pair{"sliding window log", algorithm::sliding_window_log}}) {
    rate_limiter rl;
    rl.configure(config(algo));
    std::string label = std::string(name) + ", one hot key";
    row(label.c_str(), measure(secs, [&](uint64_t) {
          rl.check("/v1/collections", "10.0.0.1", "", now_ns());
        }));
    if (algo == algorithm::sliding_window_log)
      continue; // a log of up to 1M timestamps per key is not its use case
    label = std::string(name) + ", 10k keys";
    row(label.c_str(), measure(secs, [&](uint64_t i) {
          rl.check("/v1/collections", keys[i % 10000], "", now_ns());
        }));
    label = std::string(name) + ", 1M keys";
    row(label.c_str(), measure(secs, [&](uint64_t i) {
          rl.check("/v1/collections", keys[i % keys.size()], "", now_ns());
        }));
  }
  {
    rate_limiter rl;
    auto c = config(algorithm::token_bucket);
    c->max_keys = 100'000;
    rl.configure(c);
    row("token bucket, 1M keys into a 100k table (evicting)",
        measure(secs, [&](uint64_t i) {
          rl.check("/v1/collections", keys[i % keys.size()], "", now_ns());
        }));
  }
  {
    rate_limiter rl; // disabled: what every request pays when limits are off
    row("limiter disabled", measure(secs, [&](uint64_t) {
          rl.check("/v1/collections", "10.0.0.1", "", now_ns());
        }));
  }
  admission adm;
  circuit_breaker br;
  row("write admission + breaker (closed)", measure(secs, [&](uint64_t) {
        auto t = now_ns();
        if (adm.admit(t) && br.allow(t)) {
          adm.enqueued();
          adm.dequeued();
          br.record(true, t);
        }
      }));
  return 0;
}
