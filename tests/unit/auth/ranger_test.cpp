/// Ranger policy parsing and evaluation (issue 24): the documented
/// ServicePolicies format (Apache Ranger's plugin download API,
/// RangerServicePolicies / RangerPolicy JSON) and the evaluation order of
/// RangerDefaultPolicyEvaluator, as a matrix; then malformed documents.
#include <gtest/gtest.h>

#include "auth/ranger/ranger_audit.hpp"
#include "auth/ranger/ranger_enforcer.hpp"
#include "auth/ranger/ranger_evaluator.hpp"
#include "auth/ranger/ranger_policies.hpp"

using namespace themis::auth::ranger;

namespace {

const char* doc = R"({
  "serviceName": "themis", "serviceId": 7, "policyVersion": 12,
  "serviceDef": {"name": "themis", "resources": [{"name": "tenant"}]},
  "policies": [
    {"id": 1, "name": "orders readers", "isEnabled": true, "policyType": 0,
     "policyPriority": 0, "service": "themis",
     "resources": {"tenant": {"values": ["*"]},
                   "collection": {"values": ["orders*"], "isExcludes": false}},
     "policyItems": [{"users": ["alice"], "groups": ["analysts"],
                      "accesses": [{"type": "read", "isAllowed": true},
                                   {"type": "write", "isAllowed": false}],
                      "delegateAdmin": false}],
     "allowExceptions": [{"users": ["mallory"],
                          "accesses": [{"type": "read", "isAllowed": true}]}],
     "denyPolicyItems": [{"users": ["bob"],
                          "accesses": [{"type": "read", "isAllowed": true}]}],
     "denyExceptions": []},
    {"id": 2, "name": "secret keys", "isEnabled": true,
     "resources": {"tenant": {"values": ["*"]},
                   "collection": {"values": ["orders"]},
                   "key": {"values": ["secret-?"]}},
     "denyPolicyItems": [{"groups": ["public"],
                          "accesses": [{"type": "read", "isAllowed": true}]}],
     "denyExceptions": [{"users": ["alice"],
                         "accesses": [{"type": "read", "isAllowed": true}]}]},
    {"id": 3, "name": "break glass", "isEnabled": true, "policyPriority": 1,
     "resources": {"tenant": {"values": ["*"]},
                   "collection": {"values": ["*"]}},
     "policyItems": [{"roles": ["oncall"],
                      "accesses": [{"type": "read", "isAllowed": true}]}]},
    {"id": 4, "name": "sensors", "isEnabled": true,
     "resources": {"topic": {"values": ["sensors"], "isRecursive": true}},
     "policyItems": [{"users": ["{USER}"],
                      "accesses": [{"type": "subscribe", "isAllowed": true}]},
                     {"users": ["dev1"],
                      "accesses": [{"type": "publish", "isAllowed": true}]}]},
    {"id": 5, "name": "disabled", "isEnabled": false,
     "resources": {"table": {"values": ["*"]}},
     "policyItems": [{"users": ["carol"],
                      "accesses": [{"type": "query", "isAllowed": true}]}]},
    {"id": 6, "name": "expired", "isEnabled": true,
     "resources": {"table": {"values": ["t1"]}},
     "validitySchedules": [{"startTime": "2020/01/01 00:00:00",
                            "endTime": "2021/01/01 00:00:00",
                            "timeZone": "UTC"}],
     "policyItems": [{"users": ["carol"],
                      "accesses": [{"type": "query", "isAllowed": true}]}]},
    {"id": 7, "name": "not hr", "isEnabled": true,
     "resources": {"table": {"values": ["hr_*"], "isExcludes": true}},
     "policyItems": [{"users": ["carol"],
                      "accesses": [{"type": "query", "isAllowed": true}]}]}
  ]})";

service_policies load() {
  std::string err;
  auto ps = parse_service_policies(doc, err);
  EXPECT_TRUE(ps) << err;
  return ps ? *ps : service_policies{};
}

access_result ask(const service_policies& ps, std::string user,
                  std::vector<std::pair<std::string, std::string>> res,
                  std::string access, std::vector<std::string> groups = {},
                  std::vector<std::string> roles = {}) {
  access_request r{std::move(res),    std::move(access), std::move(user),
                   std::move(groups), std::move(roles),  1765000000};
  return evaluate(ps, r);
}

using kv = std::vector<std::pair<std::string, std::string>>;

} // namespace

TEST(ranger, parses_the_download_format) {
  auto ps = load();
  EXPECT_EQ(ps.service_name, "themis");
  EXPECT_EQ(ps.policy_version, 12);
  ASSERT_EQ(ps.policies.size(), 7u);
  EXPECT_EQ(ps.policies[0].allow[0].accesses,
            std::vector<std::string>{"read"}); // write isAllowed false
  EXPECT_EQ(ps.policies[2].priority, 1);
  EXPECT_TRUE(ps.policies[3].resources.at("topic").is_recursive);
}

TEST(ranger, data_matrix) {
  auto ps = load();
  kv orders{{"tenant", "acme"}, {"collection", "orders"}, {"key", "k1"}};
  kv secret{{"tenant", "acme"}, {"collection", "orders"}, {"key", "secret-1"}};
  kv other{{"tenant", "acme"}, {"collection", "users"}};
  struct row {
    const char* user;
    const kv* res;
    const char* access;
    std::vector<std::string> groups, roles;
    bool matched, allowed;
    int64_t policy;
  };
  std::vector<row> rows = {
    {"alice", &orders, "read", {}, {}, true, true, 1},     // allow item
    {"alice", &orders, "write", {}, {}, false, false, -1}, // isAllowed false
    {"dave", &orders, "read", {"analysts"}, {}, true, true, 1},       // group
    {"mallory", &orders, "read", {"analysts"}, {}, false, false, -1}, // exc.
    {"bob", &orders, "read", {"analysts"}, {}, true, false, 1},  // deny wins
    {"dave", &secret, "read", {"analysts"}, {}, true, false, 2}, // deny key
    {"alice", &secret, "read", {}, {}, true, true, 1},       // deny exception
    {"bob", &orders, "read", {}, {"oncall"}, true, true, 3}, // override
    {"eve", &other, "read", {}, {}, false, false, -1},       // no policy
    {"eve", &other, "read", {}, {"oncall"}, true, true, 3},
  };
  for (auto& r : rows) {
    auto got = ask(ps, r.user, *r.res, r.access, r.groups, r.roles);
    EXPECT_EQ(got.matched, r.matched) << r.user << " " << r.access;
    EXPECT_EQ(got.allowed, r.allowed) << r.user << " " << r.access;
    EXPECT_EQ(got.policy_id, r.policy) << r.user << " " << r.access;
  }
}

TEST(ranger, topics_tables_and_schedules) {
  auto ps = load();
  kv sub{{"tenant", ""}, {"topic", "sensors/a/b"}};
  EXPECT_TRUE(ask(ps, "anyone", sub, "subscribe").allowed); // {USER}
  EXPECT_FALSE(ask(ps, "anyone", sub, "publish").matched);
  EXPECT_TRUE(ask(ps, "dev1", sub, "publish").allowed);
  EXPECT_FALSE(ask(ps, "dev1", {{"topic", "sensorsX"}}, "publish").matched);
  EXPECT_TRUE(ask(ps, "dev1", {{"topic", "sensors"}}, "publish").allowed);
  // a topic policy never answers for a table, nor a table one for data
  EXPECT_FALSE(ask(ps, "dev1", {{"table", "sensors"}}, "publish").matched);
  // disabled policy 5 and expired policy 6 do not grant; 7 excludes hr_*
  EXPECT_TRUE(ask(ps, "carol", {{"table", "t1"}}, "query").allowed); // by 7
  EXPECT_EQ(ask(ps, "carol", {{"table", "t1"}}, "query").policy_id, 7);
  EXPECT_FALSE(ask(ps, "carol", {{"table", "hr_pay"}}, "query").matched);
}

TEST(ranger, recursive_patterns_with_wildcards_cover_their_subtree) {
  std::string err;
  auto ps = parse_service_policies(R"({"serviceName":"s","policies":[
    {"id": 1, "resources": {"topic": {"values": ["s*s", "dev?ce/+"],
                                      "isRecursive": true}},
     "policyItems": [{"users": ["u"],
                      "accesses": [{"type": "publish", "isAllowed": true}]}]}
  ]})",
                                   err);
  ASSERT_TRUE(ps) << err;
  auto pub = [&](std::string t) {
    return ask(*ps, "u", {{"topic", std::move(t)}}, "publish").allowed;
  };
  EXPECT_TRUE(pub("sensors"));
  EXPECT_TRUE(pub("sensors/a/b")); // "s*s" matches the prefix "sensors"
  EXPECT_TRUE(pub("device/+/x"));
  EXPECT_FALSE(pub("sensorsX/a")); // the prefix must end at a '/'
  EXPECT_FALSE(pub("other/sensors"));
  EXPECT_FALSE(pub("devices/+/x"));
}

TEST(ranger, schedule_window) {
  std::string err;
  auto ps = parse_service_policies(R"({"serviceName":"s","policies":[
    {"id":1,"resources":{"table":{"values":["*"]}},
     "validitySchedules":[{"startTime":"2025/12/01 00:00:00",
       "endTime":"2025/12/31 00:00:00","timeZone":"GMT+01:00"}],
     "denyPolicyItems":[{"users":["u"],"accesses":[{"type":"query"}]}]}]})",
                                   err);
  ASSERT_TRUE(ps) << err;
  access_request r{{{"table", "x"}}, "query", "u", {}, {}, 0};
  r.now_s = *parse_schedule_time("2025/12/10 00:00:00", "UTC");
  EXPECT_TRUE(evaluate(*ps, r).matched);
  r.now_s = *parse_schedule_time("2026/01/10 00:00:00", "UTC");
  EXPECT_FALSE(evaluate(*ps, r).matched);
  EXPECT_EQ(*parse_schedule_time("1970/01/01 01:00:00", "GMT+01:00"), 0);
  EXPECT_FALSE(parse_schedule_time("1970/13/01 01:00:00", "UTC"));
  EXPECT_FALSE(parse_schedule_time("1970/01/01 01:00:00", "Mars/Olympus"));
}

TEST(ranger, unknown_conditions_and_zones_fail_closed) {
  std::string err;
  auto ps = parse_service_policies(R"({"serviceName":"s","policies":[
    {"id":1,"resources":{"table":{"values":["a"]}},
     "policyItems":[{"users":["u"],"accesses":[{"type":"query"}],
       "conditions":[{"type":"ip-range","values":["10.*"]}]}]},
    {"id":2,"resources":{"table":{"values":["b"]}},
     "validitySchedules":[{"startTime":"2000/01/01 00:00:00",
                           "timeZone":"Mars/Olympus"}],
     "denyPolicyItems":[{"users":["u"],"accesses":[{"type":"query"}]}],
     "policyItems":[{"users":["u"],"accesses":[{"type":"query"}]}]}]})",
                                   err);
  ASSERT_TRUE(ps) << err;
  access_request r{{{"table", "a"}}, "query", "u", {}, {}, 1765000000};
  EXPECT_FALSE(evaluate(*ps, r).allowed);
  r.resources = {{"table", "b"}};
  auto got = evaluate(*ps, r);
  EXPECT_TRUE(got.matched);
  EXPECT_FALSE(got.allowed);
}

TEST(ranger, wildcards) {
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("a*c", "abbbc"));
  EXPECT_TRUE(wildcard_match("a?c", "abc"));
  EXPECT_FALSE(wildcard_match("a?c", "ac"));
  EXPECT_FALSE(wildcard_match("abc", "abcd"));
  std::string many(5000, '*');
  EXPECT_TRUE(wildcard_match(many + "b", std::string(5000, 'a') + "b"));
}

TEST(ranger, malformed_documents) {
  std::string err;
  for (const char* bad :
       {"", "{", "[]", "null", "{\"policies\":[]}", "{\"serviceName\":\"s\"}",
        "{\"serviceName\":\"s\",\"policies\":{}}",
        "{\"serviceName\":\"s\",\"policies\":[1]}",
        "{\"serviceName\":\"s\",\"policies\":[{\"id\":1}]}",
        "{\"serviceName\":\"s\",\"policies\":[{\"id\":1,"
        "\"resources\":{\"table\":5}}]}"}) {
    err.clear();
    EXPECT_FALSE(parse_service_policies(bad, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
  std::string deep(100000, '[');
  EXPECT_FALSE(parse_service_policies(deep, err));
  EXPECT_NE(err.find("deeper"), std::string::npos);
  parse_limits tiny;
  tiny.max_bytes = 10;
  EXPECT_FALSE(parse_service_policies(doc, err, tiny));
  // wrong types inside items are ignored, not fatal
  auto ok = parse_service_policies(
    R"({"serviceName":"s","policies":[{"id":1,"resources":{"table":{"values":[1,"t"]}},
       "policyItems":[{"users":"u","accesses":[{"type":5},{"type":"query"}]}]}]})",
    err);
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(ok->policies[0].resources.at("table").values,
            std::vector<std::string>{"t"});
  EXPECT_TRUE(ok->policies[0].allow[0].users.empty());
}

TEST(ranger, audit_line_has_ranger_fields) {
  audit_event e;
  e.repo = "themis";
  e.user = "alice";
  e.time_ms = 1765000000123;
  e.access = "read";
  e.resource = "acme/orders/k1";
  e.allowed = true;
  e.policy_id = 1;
  auto line = format_audit_event(e);
  for (const char* f :
       {"\"repoType\"", "\"repo\":\"themis\"", "\"reqUser\":\"alice\"",
        "\"evtTime\":\"2025-12-06 05:46:40.123\"", "\"access\":\"read\"",
        "\"resource\":\"acme/orders/k1\"", "\"result\":1", "\"policy\":1",
        "\"enforcer\"", "\"cliIP\"", "\"agent\"", "\"action\"", "\"resType\""})
    EXPECT_NE(line.find(f), std::string::npos) << f << " in " << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ranger_enforcer, a_tenant_scope_is_not_the_tenant_group) {
  std::string err;
  auto ps = parse_service_policies(R"({"serviceName":"s","policies":[
    {"id": 1, "resources": {"tenant": {"values": ["*"]},
                            "collection": {"values": ["orders"]}},
     "policyItems": [{"groups": ["tenant:acme"],
                      "accesses": [{"type": "read", "isAllowed": true}]}]}
  ]})",
                                   err);
  ASSERT_TRUE(ps) << err;
  ranger_enforcer e({"s", "", false});
  e.set_policies(std::make_shared<const service_policies>(*ps));
  access_check c;
  c.resources = {{"tenant", "acme"}, {"collection", "orders"}};
  c.access = "read";
  themis::principal member{"alice", "acme", {"data:read"}, "jwt", {}};
  themis::principal spoof{
    "mallory", "", {"data:read", "tenant:acme"}, "jwt", {}};
  EXPECT_TRUE(e.allows(member, c));
  EXPECT_FALSE(e.allows(spoof, c)); // a scope is not a tenant membership
}
