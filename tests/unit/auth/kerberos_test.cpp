/// Kerberos principal mapping (auth/kerberos/realm_map) and the
/// PostgreSQL method rules (protocols/pgwire/pg_auth_rules), issue 24:
/// pure parts, with a block of malformed rules and names.

#include <gtest/gtest.h>

#include "auth/kerberos/realm_map.hpp"
#include "protocols/pgwire/pg_auth_rules.hpp"

using themis::auth::kerberos::realm_map;
using namespace themis::pgwire;

namespace {

realm_map rules(std::vector<std::string> lines) {
  std::string error;
  auto m = realm_map::parse(lines, error);
  EXPECT_TRUE(m) << error;
  return m ? *m : realm_map{};
}

} // namespace

TEST(realm_map, maps_user_of_a_known_realm) {
  auto m =
    rules({"EXAMPLE.COM tenant=acme scope=data:read scope=query", "CORP.AD"});
  std::string error;
  auto a = m.map("alice@EXAMPLE.COM", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->rule.tenant, "acme");
  EXPECT_EQ(a->rule.scopes, (std::vector<std::string>{"data:read", "query"}));
  auto b = m.map("bob@CORP.AD", error);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->rule.tenant.empty());
  // not the default realm: bob keeps his realm (he is not the local bob)
  EXPECT_EQ(b->user, "bob@CORP.AD");
}

TEST(realm_map, only_the_default_realm_is_local_unless_configured) {
  auto m = rules(
    {"HOME.COM", "OTHER.COM", "FOREST.COM local=yes", "MAIN.COM local=no"});
  std::string error;
  EXPECT_EQ(m.map("alice@HOME.COM", error)->user, "alice");
  EXPECT_EQ(m.map("alice@OTHER.COM", error)->user, "alice@OTHER.COM");
  EXPECT_EQ(m.map("alice@FOREST.COM", error)->user, "alice");
  EXPECT_EQ(m.map("alice@MAIN.COM", error)->user, "alice@MAIN.COM");
  auto n = rules({"HOME.COM local=no"});
  EXPECT_EQ(n.map("alice@HOME.COM", error)->user, "alice@HOME.COM");
  EXPECT_FALSE(realm_map::parse({"A.B local=maybe"}, error));
}

TEST(realm_map, unknown_realm_and_instances_refused) {
  auto m = rules({"EXAMPLE.COM"});
  std::string error;
  EXPECT_FALSE(m.map("alice@OTHER.COM", error));
  EXPECT_NE(error.find("OTHER.COM"), std::string::npos);
  EXPECT_FALSE(m.map("HTTP/web@EXAMPLE.COM", error));
  EXPECT_NE(error.find("instance"), std::string::npos);
  EXPECT_FALSE(m.map("alice@example.com", error)); // realms are exact
  auto n = rules({"EXAMPLE.COM instances=allow"});
  auto a = n.map("alice/admin@EXAMPLE.COM", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, "alice/admin");
}

TEST(realm_map_bad, malformed_names) {
  auto m = rules({"EXAMPLE.COM"});
  std::string error;
  for (const std::string& n : std::vector<std::string>{
         "", "alice", "@EXAMPLE.COM", "a@b@EXAMPLE.COM", "al\\@ice@EXAMPLE.COM",
         "al ice@EXAMPLE.COM", "al'ice@EXAMPLE.COM", "alice@",
         std::string(300, 'a') + "@EXAMPLE.COM",
         std::string("al\0ice@EXAMPLE.COM", 18)})
    EXPECT_FALSE(m.map(n, error)) << n;
}

TEST(realm_map_bad, malformed_rules) {
  std::string error;
  for (std::string r : {"", "example com",
                        "EXAMPLE.COM tenant=", "EXAMPLE.COM tenant=Bad_Tenant",
                        "EXAMPLE.COM scope=", "EXAMPLE.COM wat=1",
                        "EXAMPLE.COM instances=maybe", "R\"ALM"})
    EXPECT_FALSE(realm_map::parse({r}, error)) << r;
  EXPECT_FALSE(realm_map::parse({"A.B", "A.B"}, error)); // twice
}

TEST(pg_auth_rules, first_match_by_user_and_host) {
  std::string error;
  auto r = pg_auth_rules::parse({"gss user=alice", "trust host=10.0.0.0/8",
                                 "md5 user=bob host=::1", "gss host=127.0.0.1"},
                                error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->method_for("alice", "192.168.1.1:5000"), auth_method::gss);
  EXPECT_EQ(r->method_for("bob", "10.2.3.4:1"), auth_method::trust);
  EXPECT_EQ(r->method_for("bob", "::1:5432"), auth_method::md5);
  EXPECT_EQ(r->method_for("bob", "[::1]:5432"), auth_method::md5);
  EXPECT_EQ(r->method_for("carol", "[127.0.0.1]:9"), auth_method::gss);
  EXPECT_EQ(r->method_for("carol", "[::1:9"), std::nullopt);
  EXPECT_EQ(r->method_for("bob", "::ffff:127.0.0.1:9"), auth_method::gss);
  EXPECT_EQ(r->method_for("carol", "127.0.0.1:9"), auth_method::gss);
  EXPECT_EQ(r->method_for("carol", "127.0.0.2:9"), std::nullopt);
  EXPECT_EQ(r->method_for("carol", "not an address"), std::nullopt);
  EXPECT_TRUE(r->uses(auth_method::gss));
  EXPECT_FALSE(r->uses(auth_method::scram_sha_256));
  EXPECT_TRUE(selects_gss("scram-sha-256", {"gss user=x"}));
  EXPECT_TRUE(selects_gss("gss", {}));
  EXPECT_FALSE(selects_gss("md5", {"trust"}));
}

TEST(pg_auth_rules_bad, malformed_lines) {
  std::string error;
  for (std::string l :
       {"", "kerberos", "gss user=", "gss host=300.1.1.1",
        "gss host=10.0.0.0/33", "gss host=::1/129", "gss host=10.0.0.0/",
        "gss host=10.0.0.0/x", "gss who=alice"})
    EXPECT_FALSE(pg_auth_rules::parse({l}, error)) << l;
  std::vector<std::string> many(300, "trust");
  EXPECT_FALSE(pg_auth_rules::parse(many, error));
}
