#include <gtest/gtest.h>

#include "protocols/mqtt/mqtt_acl.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"

using namespace themis::mqtt;

namespace {

acl parse_ok(const std::string& text) {
  std::string err;
  auto a = acl::parse(text, err);
  EXPECT_TRUE(a.has_value()) << err;
  return a ? *a : acl{};
}

} // namespace

TEST(mqtt_acl, filter_covers) {
  EXPECT_TRUE(filter_covers("a/#", "a/b/c"));
  EXPECT_TRUE(filter_covers("a/#", "a"));
  EXPECT_TRUE(filter_covers("a/#", "a/+/c"));
  EXPECT_TRUE(filter_covers("a/+/c", "a/+/c"));
  EXPECT_TRUE(filter_covers("#", "x/y"));
  EXPECT_FALSE(filter_covers("#", "$SYS/x"));
  EXPECT_FALSE(filter_covers("a/b", "a/+"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
  EXPECT_FALSE(filter_covers("a/+", "a/b/c"));
  EXPECT_FALSE(filter_covers("a/b/c", "a/b"));
}

TEST(mqtt_acl, no_rules_allow_everything) {
  acl a = parse_ok("# nothing but a comment\n");
  EXPECT_TRUE(a.empty());
  auto r = a.for_client(std::nullopt, "c");
  EXPECT_FALSE(r->enabled());
  EXPECT_TRUE(r->can_publish("x"));
  EXPECT_TRUE(r->can_subscribe("#"));
}

TEST(mqtt_acl, users_patterns_and_deny) {
  acl a = parse_ok("topic read public/#;"
                   "user alice; topic readwrite devices/%c/#;"
                   "topic read public/#; topic deny public/secret/#;"
                   "user bob; topic read public/#;"
                   "pattern write reports/%u/#");
  auto alice = a.for_client(std::string("alice"), "dev1");
  EXPECT_TRUE(alice->can_publish("devices/dev1/temp"));
  EXPECT_FALSE(alice->can_publish("devices/dev2/temp"));
  EXPECT_TRUE(alice->can_subscribe("devices/dev1/#"));
  EXPECT_FALSE(alice->can_subscribe("devices/#"));
  EXPECT_FALSE(alice->can_subscribe("devices/dev2/#"));
  EXPECT_TRUE(alice->can_subscribe("public/+"));
  EXPECT_FALSE(alice->can_publish("public/x"));       // read only
  EXPECT_TRUE(alice->can_publish("reports/alice/1")); // pattern
  EXPECT_FALSE(alice->can_read("public/secret/k"));   // deny wins
  EXPECT_FALSE(alice->can_subscribe("public/secret/#"));
  EXPECT_TRUE(alice->can_subscribe("public/#")); // deny checked per message
  auto bob = a.for_client(std::string("bob"), "b1");
  EXPECT_TRUE(bob->can_subscribe("public/#"));
  EXPECT_FALSE(bob->can_subscribe("devices/b1/#"));
  EXPECT_TRUE(bob->can_read("public/secret/k")); // alice's deny only
  auto anon = a.for_client(std::nullopt, "x");
  EXPECT_TRUE(anon->can_read("public/a"));
  EXPECT_FALSE(anon->can_publish("reports/x/1"));       // %u needs a user
  auto carol = a.for_client(std::string("carol"), "c"); // no section
  EXPECT_FALSE(carol->can_read("public/a"));
  EXPECT_TRUE(carol->can_publish("reports/carol/x"));
}

TEST(mqtt_acl, unsafe_substitutions_do_not_widen_access) {
  acl a = parse_ok("pattern readwrite devices/%c/#");
  EXPECT_FALSE(a.for_client(std::nullopt, "+")->can_publish("devices/x/1"));
  EXPECT_FALSE(a.for_client(std::nullopt, "#")->can_subscribe("devices/#"));
  EXPECT_FALSE(a.for_client(std::nullopt, "a/b")->can_publish("devices/a/b/1"));
  EXPECT_TRUE(a.for_client(std::nullopt, "d1")->can_publish("devices/d1/x"));
}

TEST(mqtt_acl, bad_lines_are_reported) {
  std::string err;
  EXPECT_FALSE(acl::parse("topic read a/#/b", err));
  EXPECT_NE(err.find("line 1"), std::string::npos);
  EXPECT_FALSE(acl::parse("user\n", err));
  EXPECT_FALSE(acl::parse("topic read\n", err));
  EXPECT_FALSE(acl::parse("ok\ngrant all", err));
  EXPECT_NE(err.find("line 1"), std::string::npos);
  EXPECT_TRUE(acl::parse("topic readwrite a b", err)); // a space in a level
}

/// Tenant topic trees (issue 9): a tenant's names map under
/// "$tenants/<t>/" and back; its ACL rules speak of its own names.
TEST(mqtt_namespace, tenant_topics_filters_and_acls) {
  auto root = tenant_root("acme");
  EXPECT_EQ(root, "$tenants/acme/");
  EXPECT_EQ(tenant_root(""), "");
  EXPECT_EQ(to_broker_topic(root, "plant/t1"), "$tenants/acme/plant/t1");
  EXPECT_EQ(to_broker_filter(root, "#"), "$tenants/acme/#");
  EXPECT_EQ(to_broker_filter(root, "$share/g/plant/+"),
            "$share/g/$tenants/acme/plant/+");
  EXPECT_EQ(to_broker_filter(root, "a/#/b"), "a/#/b"); // invalid: unchanged
  EXPECT_EQ(to_broker_filter("", "x/#"), "x/#");
  EXPECT_EQ(to_client_topic(root, "$tenants/acme/plant/t1"), "plant/t1");
  EXPECT_EQ(to_client_topic(root, "$tenants/beta/plant/t1"),
            "$tenants/beta/plant/t1");
  // a global client's wildcards never reach a `$` root (MQTT 4.7.2)
  EXPECT_FALSE(topic_matches("#", "$tenants/acme/plant/t1"));
  EXPECT_FALSE(topic_matches("+/acme/#", "$tenants/acme/plant/t1"));
  acl a = parse_ok("user alice; topic readwrite devices/%c/#");
  auto rules = a.for_client(std::string("alice"), "dev1");
  acl_rules scoped(*rules);
  scoped.set_namespace(root);
  EXPECT_TRUE(scoped.can_publish("$tenants/acme/devices/dev1/t"));
  EXPECT_FALSE(scoped.can_publish("$tenants/acme/devices/dev2/t"));
}
