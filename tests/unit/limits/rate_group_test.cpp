/// Registry rate groups (issue 22): group rules parse with a name instead
/// of a prefix, a group's buckets are apart from the prefix rules' and
/// from other groups', and exemptions, whitelist and dry run hold for them.

#include <gtest/gtest.h>

#include "limits/rate_limiter.hpp"

using namespace themis::limits;

namespace {

constexpr int64_t sec = 1'000'000'000;

std::shared_ptr<limiter_config> groups(std::vector<std::string> texts) {
  auto c = std::make_shared<limiter_config>();
  c->enabled = true;
  rule r;
  EXPECT_FALSE(parse_rule("/ 1000/1s", r));
  c->rules.push_back(r);
  for (auto& t : texts) {
    rule g;
    auto err = parse_group_rule(t, g);
    EXPECT_FALSE(err) << *err;
    c->groups.push_back(g);
  }
  return c;
}

int admitted(rate_limiter& l, const char* group, const char* peer, int n,
             int64_t at = sec) {
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    auto r = l.check_group(group, "/api/v1/query", peer, "", at);
    ok += r && !r->refused;
  }
  return ok;
}

} // namespace

TEST(rate_group, parses_names_not_prefixes) {
  rule r;
  ASSERT_FALSE(parse_group_rule("query 20/1s burst=40 key=token", r));
  EXPECT_EQ(r.prefix, "query");
  EXPECT_EQ(r.policy, "query");
  EXPECT_EQ(r.spec.limit, 20u);
  EXPECT_EQ(r.spec.burst, 40u);
  EXPECT_EQ(r.key, key_kind::token);
  for (auto bad :
       {"", "query", "/query 1/1s", "Query 1/1s", "q/x 1/1s", "q 0/1s",
        "q 1/1x", "q 1/1s burst=x", "q 1/1s key=who", " 1/1s"})
    EXPECT_TRUE(parse_group_rule(bad, r)) << bad;
}

TEST(rate_group, buckets_per_group_and_client) {
  rate_limiter l;
  l.configure(groups({"query 3/1s", "bulk 1/1s key=global"}));
  EXPECT_EQ(admitted(l, "query", "10.0.0.1", 5), 3);
  EXPECT_EQ(admitted(l, "query", "10.0.0.2", 5), 3); // per client
  EXPECT_EQ(admitted(l, "bulk", "10.0.0.1", 2), 1);  // own bucket
  EXPECT_EQ(admitted(l, "bulk", "10.0.0.3", 1), 0);  // global
  // no rule for the group: no group limit
  EXPECT_FALSE(l.check_group("default", "/x", "10.0.0.1", "", sec));
  // the prefix rule's bucket is untouched by the groups
  auto r = l.check("/api/v1/query", "10.0.0.1", "", sec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->d.remaining, 999u);
  // refilled a second later
  EXPECT_EQ(admitted(l, "query", "10.0.0.1", 5, 2 * sec), 3);
  auto refused = l.check_group("query", "/q", "10.0.0.1", "", 2 * sec);
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->refused);
  EXPECT_EQ(refused->matched->policy, "query");
  EXPECT_GT(refused->d.retry_after_ns, 0);
}

TEST(rate_group, exemptions_whitelist_dry_run) {
  rate_limiter l;
  auto c = groups({"query 1/1s"});
  c->whitelist = {"10.9.9.9"};
  c->exempt_prefixes = {"/health"};
  l.configure(c);
  EXPECT_FALSE(l.check_group("query", "/health", "10.0.0.1", "", sec));
  EXPECT_FALSE(l.check_group("query", "/q", "10.9.9.9", "", sec));
  c = groups({"query 1/1s"});
  c->dry_run = true;
  l.configure(c);
  EXPECT_EQ(admitted(l, "query", "10.0.0.1", 3), 3);
  EXPECT_EQ(l.dry_run_refusals.load(), 2u);
}
