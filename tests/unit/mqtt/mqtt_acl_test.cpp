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

TEST(mqtt_namespace, shared_filters_are_judged_by_their_inner_filter) {
  subscriber_rights user; // a global user, not an admin
  user.data_read = true;
  user.cdc_read = true;
  user.changes_prefix = "$changes/";
  auto ok = filter_verdict::ok;
  auto refused = filter_verdict::not_authorized;
  auto invalid = filter_verdict::invalid;
  EXPECT_EQ(check_subscription("a/#", user), ok);
  EXPECT_EQ(check_subscription("$share/g/a/#", user), ok);
  // issue 17: refused plainly, granted through $share
  EXPECT_EQ(check_subscription("$tenants/beta/#", user), refused);
  EXPECT_EQ(check_subscription("$share/g/$tenants/beta/#", user), refused);
  EXPECT_EQ(check_subscription("$share/g/$tenants", user), refused);
  EXPECT_EQ(check_subscription("$tenants", user), refused);
  EXPECT_EQ(check_subscription("$tenantsx/a", user), ok); // another root
  // a global admin may reach tenants' trees; a tenant's admin may not
  subscriber_rights admin = user;
  admin.admin = true;
  EXPECT_EQ(check_subscription("$share/g/$tenants/beta/#", admin), ok);
  subscriber_rights tenant_admin = admin;
  tenant_admin.tenant = true;
  EXPECT_EQ(check_subscription("$share/g/$tenants/beta/#", tenant_admin),
            refused);
  // scopes: change topics need cdc:read, shared or not
  subscriber_rights reader = user;
  reader.cdc_read = false;
  EXPECT_EQ(check_subscription("$changes/orders", reader), refused);
  EXPECT_EQ(check_subscription("$share/g/$changes/orders", reader), refused);
  EXPECT_EQ(check_subscription("$share/g/a", reader), ok);
  subscriber_rights cdc_only = user;
  cdc_only.data_read = false;
  EXPECT_EQ(check_subscription("$share/g/$changes/#", cdc_only), ok);
  EXPECT_EQ(check_subscription("$share/g/a/#", cdc_only), refused);
  // malformed shared filters, and one inside another
  EXPECT_EQ(check_subscription("$share/g", user), invalid);
  EXPECT_EQ(check_subscription("$share//a", user), invalid);
  EXPECT_EQ(check_subscription("$share/g+/a", user), invalid);
  EXPECT_EQ(check_subscription("$share/g/a/#/b", user), invalid);
  EXPECT_EQ(check_subscription("$share/g/$share/h/$tenants/beta/#", admin),
            invalid);
}

TEST(mqtt_namespace, tenant_mapping_of_shared_filters_and_ingest_topics) {
  auto root = tenant_root("acme");
  EXPECT_EQ(to_broker_filter(root, "$share/g/a/#"),
            "$share/g/$tenants/acme/a/#");
  EXPECT_EQ(to_broker_filter(root, "a/+"), "$tenants/acme/a/+");
  // the broker's ACL then sees the inner, mapped filter
  std::string err;
  auto a = acl::parse("user alice; topic read a/#", err);
  ASSERT_TRUE(a);
  auto rules = std::make_shared<acl_rules>(*a->for_client("alice", "c"));
  rules->set_namespace(root);
  std::string group, inner;
  ASSERT_TRUE(
    split_shared(to_broker_filter(root, "$share/g/a/#"), group, inner));
  EXPECT_TRUE(rules->can_subscribe(inner));
  ASSERT_TRUE(
    split_shared(to_broker_filter(root, "$share/g/b/#"), group, inner));
  EXPECT_FALSE(rules->can_subscribe(inner));
  // ingest/{collection}/...: the collection level, as written
  EXPECT_EQ(ingest_collection("ingest/", "ingest/orders/dev1"), "orders");
  EXPECT_EQ(ingest_collection("ingest/", "ingest/beta.secret/x"),
            "beta.secret");
  EXPECT_EQ(ingest_collection("ingest/", "ingest/orders"), "orders");
  EXPECT_EQ(ingest_collection("ingest/", "ingest//x"), "");
  EXPECT_EQ(ingest_collection("ingest/", "other/x"), "");
}
