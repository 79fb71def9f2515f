/// Rate-limit algorithms, the bucket table and the circuit breaker, driven
/// by a fake clock (nanoseconds passed in).

#include <gtest/gtest.h>

#include "limits/admission.hpp"
#include "limits/circuit_breaker.hpp"
#include "limits/rate_limiter.hpp"

using namespace themis::limits;

namespace {

constexpr int64_t ms = 1'000'000;
constexpr int64_t sec = 1'000'000'000;

int admitted(algorithm a, const limit_spec& spec, bucket_state& st, int64_t at,
             int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i)
    ok += take(a, spec, st, at).allowed;
  return ok;
}

std::shared_ptr<limiter_config>
config_with(std::vector<std::string> rules,
            algorithm a = algorithm::token_bucket) {
  auto c = std::make_shared<limiter_config>();
  c->enabled = true;
  c->algo = a;
  for (auto& text : rules) {
    rule r;
    EXPECT_FALSE(parse_rule(text, r)) << text;
    c->rules.push_back(r);
  }
  return c;
}

} // namespace

TEST(token_bucket, burst_then_refill_at_rate) {
  limit_spec spec{10, sec, 20};
  bucket_state st;
  EXPECT_EQ(admitted(algorithm::token_bucket, spec, st, 0, 25), 20);
  auto d = take(algorithm::token_bucket, spec, st, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, 100 * ms); // one token per 100 ms
  EXPECT_EQ(admitted(algorithm::token_bucket, spec, st, 500 * ms, 10), 5);
  EXPECT_EQ(admitted(algorithm::token_bucket, spec, st, 10 * sec, 100), 20);
}

TEST(token_bucket, remaining_and_reset) {
  limit_spec spec{5, sec, 0};
  bucket_state st;
  auto d = take(algorithm::token_bucket, spec, st, 0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 5u);
  EXPECT_EQ(d.remaining, 4u);
  EXPECT_EQ(d.reset_ns, 200 * ms);
}

TEST(sliding_window_counter, weights_the_previous_window) {
  limit_spec spec{10, sec};
  bucket_state st;
  EXPECT_EQ(admitted(algorithm::sliding_window_counter, spec, st, 0, 15), 10);
  // half-way into the next window half of the previous 10 still count
  EXPECT_EQ(
    admitted(algorithm::sliding_window_counter, spec, st, sec + 500 * ms, 10),
    5);
  // two windows later nothing counts
  EXPECT_EQ(admitted(algorithm::sliding_window_counter, spec, st, 4 * sec, 20),
            10);
  auto d = take(algorithm::sliding_window_counter, spec, st, 4 * sec);
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after_ns, 0);
  EXPECT_LE(d.retry_after_ns, 2 * sec); // into the next window (weighted)
}

TEST(sliding_window_log, exact_window) {
  limit_spec spec{3, sec};
  bucket_state st;
  EXPECT_EQ(admitted(algorithm::sliding_window_log, spec, st, 0, 2), 2);
  EXPECT_EQ(admitted(algorithm::sliding_window_log, spec, st, 600 * ms, 5), 1);
  auto d = take(algorithm::sliding_window_log, spec, st, 700 * ms);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ns, 300 * ms); // the first two leave at 1 s
  EXPECT_EQ(admitted(algorithm::sliding_window_log, spec, st, sec, 5), 2);
  EXPECT_LE(st.log.size(), 3u); // memory bounded by the limit
}

TEST(rate_limiter, rules_keys_whitelist_and_exemptions) {
  rate_limiter rl(4);
  auto c = config_with({"/ 2/1s", "/v2/jobs 1/1s key=global"});
  c->whitelist = {"10.0.0.9"};
  rl.configure(c);
  auto refused = [&](std::string_view path, std::string_view ip) {
    auto r = rl.check(path, ip, "", 0);
    return r && r->refused;
  };
  EXPECT_FALSE(refused("/v1/x", "a"));
  EXPECT_FALSE(refused("/v1/x", "a"));
  EXPECT_TRUE(refused("/v1/x", "a"));
  EXPECT_FALSE(refused("/v1/x", "b")); // per IP
  EXPECT_FALSE(refused("/v2/jobs", "c"));
  EXPECT_TRUE(refused("/v2/jobs", "d")); // global key, longest prefix
  EXPECT_FALSE(rl.check("/health/live", "a", "", 0)); // exempt
  EXPECT_FALSE(rl.check("/v1/x", "10.0.0.9", "", 0)); // whitelisted
  EXPECT_EQ(rl.refused.load(), 2u);
  auto r = rl.check("/v1/x", "a", "", 0);
  EXPECT_EQ(r->matched->policy, "default");
}

TEST(rate_limiter, token_key_falls_back_to_ip) {
  rate_limiter rl;
  rl.configure(config_with({"/ 1/1s key=token"}));
  EXPECT_FALSE(rl.check("/x", "ip1", "tok", 0)->refused);
  EXPECT_TRUE(rl.check("/x", "ip2", "tok", 0)->refused); // same token
  EXPECT_FALSE(rl.check("/x", "ip2", "", 0)->refused);   // by IP
}

TEST(rate_limiter, dry_run_counts_but_never_refuses) {
  rate_limiter rl;
  auto c = config_with({"/ 1/1s"});
  c->dry_run = true;
  rl.configure(c);
  EXPECT_FALSE(rl.check("/x", "a", "", 0)->would_refuse);
  auto r = rl.check("/x", "a", "", 0);
  EXPECT_FALSE(r->refused);
  EXPECT_TRUE(r->would_refuse);
  EXPECT_EQ(rl.dry_run_refusals.load(), 1u);
}

TEST(rate_limiter, a_million_keys_stay_bounded) {
  rate_limiter rl(16);
  auto c = config_with({"/ 5/1s"});
  c->max_keys = 10'000;
  rl.configure(c);
  for (int i = 0; i < 1'000'000; ++i)
    rl.check("/x", std::to_string(i), "", i);
  EXPECT_LE(rl.size(), 10'000u);
  EXPECT_GE(rl.evictions.load(), 990'000u);
}

TEST(rate_limiter, idle_buckets_expire) {
  rate_limiter rl;
  auto c = config_with({"/ 5/1s"});
  c->idle_expiry_ns = 10 * sec;
  rl.configure(c);
  rl.check("/x", "old", "", 0);
  rl.check("/x", "new", "", 9 * sec);
  EXPECT_EQ(rl.sweep(11 * sec), 1u);
  EXPECT_EQ(rl.size(), 1u);
}

TEST(rate_limiter_bad_input, rules_are_validated) {
  for (auto text : {"", "/x", "x 1/1s", "/x 0/1s", "/x 1/0s", "/x 1/1",
                    "/x a/1s", "/x 1/1s burst=x", "/x 1/1s key=mac",
                    "/x 1/1s extra", "/x 5/9999999h"}) {
    rule r;
    EXPECT_TRUE(parse_rule(text, r)) << text;
  }
  rule r;
  ASSERT_FALSE(parse_rule("/v1 100/500ms burst=150 key=token", r));
  EXPECT_EQ(r.spec.limit, 100u);
  EXPECT_EQ(r.spec.window_ns, 500 * ms);
  EXPECT_EQ(r.spec.burst, 150u);
  EXPECT_EQ(r.key, key_kind::token);
}

TEST(circuit_breaker, opens_fails_fast_half_opens_and_closes) {
  breaker_config cfg;
  cfg.min_requests = 4;
  cfg.failure_ratio = 0.5;
  cfg.open_ns = sec;
  cfg.half_open_requests = 2;
  circuit_breaker b(cfg);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow(0));
    b.record(true, 0);
  }
  ASSERT_TRUE(b.allow(0));
  b.record(false, 0);
  EXPECT_EQ(b.state(), breaker_state::closed);
  ASSERT_TRUE(b.allow(0));
  b.record(false, 0); // 2 of 4 failed
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(b.allow(500 * ms));
  EXPECT_EQ(b.rejected.load(), 1u);
  EXPECT_TRUE(b.allow(sec)); // half-open: trials
  EXPECT_TRUE(b.allow(sec));
  EXPECT_FALSE(b.allow(sec)); // only two trials
  b.record(true, sec);
  b.record(true, sec);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, a_failed_trial_reopens) {
  breaker_config cfg;
  cfg.min_requests = 1;
  cfg.open_ns = sec;
  circuit_breaker b(cfg);
  b.allow(0);
  b.record(false, 0);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_TRUE(b.allow(2 * sec));
  b.record(false, 2 * sec);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_FALSE(b.allow(2 * sec + 1));
  EXPECT_EQ(b.opened.load(), 2u);
}

TEST(admission, queue_depth_limit) {
  admission a;
  a.configure({2, 100 * ms, 500 * ms});
  EXPECT_TRUE(a.admit(0));
  a.enqueued();
  a.enqueued();
  EXPECT_FALSE(a.admit(0));
  a.dequeued();
  EXPECT_TRUE(a.admit(0));
  EXPECT_EQ(a.shed.load(), 1u);
}

TEST(admission, codel_drops_only_after_a_standing_queue) {
  admission a;
  a.configure({1000, 100 * ms, 500 * ms});
  a.enqueued();
  a.observe_sojourn(200 * ms, 0); // above target: start the interval
  EXPECT_TRUE(a.admit(100 * ms));
  a.observe_sojourn(200 * ms, 400 * ms);
  EXPECT_TRUE(a.admit(400 * ms)); // a burst, not yet a standing queue
  a.observe_sojourn(200 * ms, 600 * ms);
  EXPECT_TRUE(a.dropping());
  EXPECT_FALSE(a.admit(600 * ms));
  a.observe_sojourn(10 * ms, 700 * ms); // below target: recovered
  EXPECT_TRUE(a.admit(700 * ms));
}

TEST(admission, a_stalled_consumer_sheds_waiting_work) {
  admission a;
  a.configure({1000, 100 * ms, 500 * ms});
  a.busy(1 * sec);
  EXPECT_TRUE(a.admit(1 * sec + 500 * ms)); // nobody waits yet
  a.enqueued();
  EXPECT_TRUE(a.admit(1 * sec + 50 * ms)); // busy, but below target
  EXPECT_FALSE(a.admit(1 * sec + 500 * ms));
  a.busy(0);
  EXPECT_TRUE(a.admit(2 * sec));
}

// -- review regressions ------------------------------------------------------

TEST(circuit_breaker, cancelled_trials_are_given_back_and_time_reports) {
  breaker_config cfg;
  cfg.min_requests = 1;
  cfg.open_ns = sec;
  cfg.half_open_requests = 1;
  circuit_breaker b(cfg);
  b.allow(0);
  b.record(false, 0);
  EXPECT_EQ(b.state_at(500 * ms), breaker_state::open);
  EXPECT_EQ(b.state_at(sec), breaker_state::half_open); // no traffic needed
  ASSERT_TRUE(b.allow(sec));
  EXPECT_FALSE(b.allow(sec)); // the one trial is out
  b.cancel_trial();           // … and its caller went away
  EXPECT_TRUE(b.allow(sec));
  b.record(true, sec);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(sliding_window_counter, an_older_timestamp_does_not_reset_windows) {
  limit_spec spec{10, sec};
  bucket_state st;
  EXPECT_EQ(admitted(algorithm::sliding_window_counter, spec, st, sec, 10), 10);
  // a caller that read the clock just before the boundary comes late
  EXPECT_EQ(admitted(algorithm::sliding_window_counter, spec, st, sec - 1, 10),
            0);
}

TEST(sliding_window_counter, retry_after_when_the_current_window_is_full) {
  limit_spec spec{10, sec};
  bucket_state st;
  admitted(algorithm::sliding_window_counter, spec, st, 0, 10);
  auto d = take(algorithm::sliding_window_counter, spec, st, 0);
  ASSERT_FALSE(d.allowed);
  // at the advertised time a request really fits
  auto later =
    take(algorithm::sliding_window_counter, spec, st, d.retry_after_ns);
  EXPECT_TRUE(later.allowed);
}

TEST(rate_limiter, long_windows_outlive_the_idle_expiry) {
  rate_limiter rl;
  auto c = config_with({"/ 2/1h"});
  c->idle_expiry_ns = sec;
  rl.configure(c);
  rl.check("/x", "a", "", 0);
  rl.check("/x", "a", "", 0);
  EXPECT_TRUE(rl.check("/x", "a", "", 0)->refused);
  EXPECT_EQ(rl.sweep(2 * sec), 0u); // the quota is not reset by idling
  EXPECT_TRUE(rl.check("/x", "a", "", 2 * sec)->refused);
}

TEST(rate_limiter, token_keys_have_a_fixed_size) {
  rate_limiter rl;
  rl.configure(config_with({"/ 1/1s key=token"}));
  std::string huge(8000, 'x');
  EXPECT_FALSE(rl.check("/x", "ip", huge, 0)->refused);
  EXPECT_TRUE(rl.check("/x", "ip2", huge, 0)->refused); // same token
  EXPECT_FALSE(rl.check("/x", "ip", huge + "y", 0)->refused);
}

TEST(rate_limiter, the_result_keeps_its_rules_alive_across_a_reload) {
  rate_limiter rl;
  rl.configure(config_with({"/v1 5/1s"}));
  auto r = rl.check("/v1/x", "a", "", 0);
  rl.configure(config_with({"/v2 9/1s"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->matched->policy, "/v1"); // still valid (ASan would say)
}

TEST(admission, writes_being_committed_are_not_waiting) {
  admission a;
  a.configure({1000, 100 * ms, 500 * ms});
  a.enqueued();                   // one write …
  a.busy(0 + 1, 1);               // … taken by a long commit
  EXPECT_TRUE(a.admit(500 * ms)); // nobody else waits: no shedding
  a.enqueued();
  EXPECT_FALSE(a.admit(500 * ms)); // now one waits behind the stall
}

TEST(admission, an_empty_queue_forgets_an_old_slow_wait) {
  admission a;
  a.configure({1000, 100 * ms, 500 * ms});
  a.enqueued();
  a.observe_sojourn(200 * ms, 0);
  a.dequeued(); // queue empty
  a.enqueued();
  a.observe_sojourn(200 * ms, 10 * sec); // a fresh interval starts here
  EXPECT_FALSE(a.dropping());
}

// -- per-tenant quotas (issue 9) -------------------------------------------

#include "limits/tenant_quotas.hpp"

TEST(tenant_quotas, parse_and_refuse_bad_entries) {
  std::map<std::string, tenant_quota> q;
  EXPECT_FALSE(tenant_quotas::parse(
    {"acme requests_per_s=5 connections=2 jobs=1 documents=100"}, q));
  EXPECT_EQ(q["acme"].requests_per_s, 5u);
  EXPECT_EQ(q["acme"].connections, 2u);
  EXPECT_EQ(q["acme"].documents, 100u);
  for (auto bad : {"acme speed=3", "acme jobs=-1", "Bad.T jobs=1",
                   "acme jobs=x", "acme jobs"}) {
    std::map<std::string, tenant_quota> out;
    EXPECT_TRUE(tenant_quotas::parse({bad}, out)) << bad;
  }
}

TEST(tenant_quotas, requests_and_connections_per_tenant) {
  std::map<std::string, tenant_quota> q;
  ASSERT_FALSE(
    tenant_quotas::parse({"acme requests_per_s=2 connections=1"}, q));
  tenant_quotas t(q);
  int64_t retry = 0, now = 10 * sec;
  int ok = 0;
  for (int i = 0; i < 10; ++i)
    ok += t.take_request("acme", now, retry);
  EXPECT_LE(ok, 3); // a bucket of 2/s (burst included)
  EXPECT_GE(ok, 2);
  EXPECT_GT(retry, 0);
  EXPECT_TRUE(t.take_request("acme", now + 2 * sec, retry)); // refilled
  for (int i = 0; i < 10; ++i) // no quota: unlimited
    EXPECT_TRUE(t.take_request("beta", now, retry));
  EXPECT_TRUE(t.acquire_connection("acme"));
  EXPECT_FALSE(t.acquire_connection("acme"));
  EXPECT_TRUE(t.acquire_connection("beta"));
  t.release_connection("acme");
  EXPECT_EQ(t.connections("acme"), 0u);
  EXPECT_TRUE(t.acquire_connection("acme"));
}
