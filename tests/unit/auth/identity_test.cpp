/// The identity model below the protocols (issue 9): API keys (shape,
/// hashing, expiry, revocation, durability, forgery), the append-only
/// audit log, the authenticator turning tokens and password users into
/// principals, and the principal's namespace and scope rules.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "auth/authenticator.hpp"
#include "engine/security/api_key_store.hpp"
#include "engine/security/audit_log.hpp"
#include "themis/base64.hpp"

using namespace themis;
using namespace themis::auth;

namespace {

constexpr int64_t now_ms = 1800000000000;
const std::string secret = "unit test secret, long enough!!";

struct temp_dir {
  std::filesystem::path p;
  temp_dir() {
    char tmpl[] = "/tmp/themis_identity_XXXXXX";
    p = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(p); }
  std::string file(const char* n) const { return (p / n).string(); }
};

std::string hs256(const std::string& claims, const std::string& kid = "",
                  const std::string& key = secret) {
  std::string head = kid.empty()
                       ? R"({"alg":"HS256","typ":"JWT"})"
                       : R"({"alg":"HS256","typ":"JWT","kid":")" + kid + "\"}";
  auto in = base64url_encode(head) + "." + base64url_encode(claims);
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(in.data()), in.size(), mac, &len);
  return in + "." +
         base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

} // namespace

TEST(api_keys, created_verified_and_stored_as_digest_only) {
  temp_dir d;
  std::string token, tail;
  {
    engine::api_key_store s(d.file("auth.db"), 1000);
    engine::api_key_record r;
    r.user = "ingest";
    r.tenant = "acme";
    r.scopes = {"data:write"};
    auto saved = s.create(r, token, now_ms);
    ASSERT_EQ(token.rfind("thk_" + saved.id + "_", 0), 0u);
    tail = token.substr(4 + saved.id.size() + 1);
    EXPECT_GE(tail.size(), 40u); // 256 random bits
    engine::api_key_record out;
    EXPECT_EQ(s.verify(token, now_ms, out), engine::api_key_check::ok);
    EXPECT_EQ(out.tenant, "acme");
    EXPECT_EQ(out.scopes, std::vector<std::string>{"data:write"});
    EXPECT_NE(saved.digest, tail);
  }
  // durable, and the secret is nowhere in the file
  EXPECT_EQ(file_bytes(d.file("auth.db")).find(tail), std::string::npos);
  engine::api_key_store again(d.file("auth.db"), 1000);
  engine::api_key_record out;
  EXPECT_EQ(again.verify(token, now_ms, out), engine::api_key_check::ok);
}

TEST(api_keys, forged_expired_revoked_and_malformed_are_refused) {
  temp_dir d;
  engine::api_key_store s(d.file("auth.db"), 1000);
  engine::api_key_record r;
  r.scopes = {"query"};
  r.expires_ms = now_ms + 1000;
  std::string token;
  auto saved = s.create(r, token, now_ms);
  engine::api_key_record out;
  auto forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(s.verify(forged, now_ms, out), engine::api_key_check::unknown);
  auto other_id = "thk_0000000000000000" + token.substr(20);
  EXPECT_EQ(s.verify(other_id, now_ms, out), engine::api_key_check::unknown);
  EXPECT_EQ(s.verify(token, now_ms + 2000, out),
            engine::api_key_check::expired);
  for (auto bad :
       {"", "thk_", "thk_zz", "thk_0123_x", "eyJ.a.b", "thk_0123456789abcdef"})
    EXPECT_NE(s.verify(bad, now_ms, out), engine::api_key_check::ok) << bad;
  EXPECT_TRUE(s.revoke(saved.id, now_ms));
  EXPECT_FALSE(s.revoke(saved.id, now_ms)); // once
  EXPECT_FALSE(s.revoke("ffffffffffffffff", now_ms));
  EXPECT_EQ(s.verify(token, now_ms, out), engine::api_key_check::revoked);
}

TEST(api_keys, listing_is_per_tenant) {
  temp_dir d;
  engine::api_key_store s(d.file("auth.db"), 1000);
  std::string t;
  engine::api_key_record a, b;
  a.tenant = "acme";
  b.tenant = "beta";
  a.scopes = b.scopes = {"query"};
  s.create(a, t, now_ms);
  s.create(b, t, now_ms);
  EXPECT_EQ(s.list("acme", false).size(), 1u);
  EXPECT_EQ(s.list("acme", false)[0].tenant, "acme");
  EXPECT_EQ(s.list("", true).size(), 2u);
}

TEST(audit_log, appends_in_order_and_refuses_rewrites) {
  temp_dir d;
  engine::audit_log log(d.file("auth.db"), 1000);
  for (int i = 0; i < 3; ++i) {
    engine::audit_event e;
    e.action = i == 1 ? "key.create" : "auth.failure";
    e.outcome = "denied";
    e.tenant = i == 2 ? "beta" : "acme";
    e.request_id = "r" + std::to_string(i);
    ASSERT_TRUE(log.append(e));
  }
  auto all = log.list(0, 100, "", true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_LT(all[0].seq, all[1].seq);
  EXPECT_GT(all[0].ts_ms, 0);
  EXPECT_EQ(log.list(0, 100, "acme", false).size(), 2u);
  EXPECT_EQ(log.list(0, 100, "", true, "key.create").size(), 1u);
  EXPECT_EQ(log.list(all[1].seq, 100, "", true).size(), 1u);
  // the table itself refuses UPDATE and DELETE, whoever opens it
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(d.file("auth.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit SET outcome = 'ok'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(log.list(0, 100, "", true).size(), 3u);
}

TEST(authenticator, tokens_and_users_become_principals) {
  temp_dir d;
  engine::api_key_store keys(d.file("auth.db"), 1000);
  auth_section cfg;
  cfg.jwt_secret = secret;
  cfg.principals = {"meter tenant=acme scope=data:write"};
  std::string err;
  auto a = authenticator::create(cfg, &keys, err);
  ASSERT_TRUE(a) << err;
  EXPECT_TRUE(a->accepts_tokens());
  auto s = now_ms / 1000;
  auto r = a->from_token(
    hs256(R"({"sub":"alice","tenant":"acme","scope":"data:read query",)"
          R"("roles":["jobs"],"exp":)" +
          std::to_string(s + 60) + "}"),
    s);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.who.user, "alice");
  EXPECT_EQ(r.who.tenant, "acme");
  EXPECT_TRUE(r.who.has_scope("query"));
  EXPECT_TRUE(r.who.has_scope("jobs")); // from roles
  EXPECT_FALSE(r.who.has_scope("data:write"));
  EXPECT_EQ(r.who.via, "jwt");
  // expired, bad tenant ids
  EXPECT_FALSE(
    a->from_token(
       hs256(R"({"sub":"x","exp":)" + std::to_string(s - 3600) + "}"), s)
      .ok);
  EXPECT_FALSE(a->from_token(hs256(R"({"sub":"x","tenant":"Acme.X","exp":)" +
                                   std::to_string(s + 60) + "}"),
                             s)
                 .ok);
  // an API key
  engine::api_key_record k;
  k.user = "svc";
  k.tenant = "beta";
  k.scopes = {"cdc:read"};
  std::string token;
  keys.create(k, token, now_ms);
  auto kr = a->from_token(token, s);
  ASSERT_TRUE(kr.ok) << kr.error;
  EXPECT_EQ(kr.who.tenant, "beta");
  EXPECT_EQ(kr.who.via, "api_key");
  EXPECT_TRUE(authenticator::looks_like_token(token));
  EXPECT_FALSE(authenticator::looks_like_token("hunter2"));
  // password users: auth.principals binds them; others keep global admin
  auto m = a->for_user("meter");
  EXPECT_EQ(m.tenant, "acme");
  EXPECT_FALSE(m.is_admin());
  EXPECT_TRUE(a->for_user("themis").is_admin());
}

TEST(authenticator, bad_configuration_is_refused) {
  auth_section cfg;
  cfg.required = true; // nothing could verify a token
  cfg.api_keys = false;
  std::string err;
  EXPECT_FALSE(authenticator::create(cfg, nullptr, err));
  EXPECT_FALSE(err.empty());
  std::string user, tenant, e;
  std::vector<std::string> scopes;
  EXPECT_FALSE(
    parse_principal_entry("bob tenant=Bad.T", user, tenant, scopes, e));
  EXPECT_FALSE(
    parse_principal_entry("bob colour=red", user, tenant, scopes, e));
  EXPECT_TRUE(parse_principal_entry("bob tenant=acme scope=query", user, tenant,
                                    scopes, e));
  EXPECT_EQ(tenant, "acme");
}

TEST(principal, namespaces_and_scopes) {
  principal acme{"alice", "acme", {"data:read"}, "jwt", {}};
  principal root{"root", "", {"admin"}, "jwt", {}};
  principal anon{"", "", {}, "anonymous", {}};
  EXPECT_TRUE(anon.has_scope("admin"));
  EXPECT_FALSE(acme.has_scope("data:write"));
  EXPECT_TRUE(root.has_scope("data:write"));
  EXPECT_TRUE(acme.sees("alice", "acme"));
  EXPECT_FALSE(acme.sees("bob", "acme")); // not an admin
  EXPECT_FALSE(acme.sees("alice", "beta"));
  EXPECT_TRUE(root.sees("bob", "beta"));
  principal acme_admin{"boss", "acme", {"admin"}, "jwt", {}};
  EXPECT_TRUE(acme_admin.sees("alice", "acme"));
  EXPECT_FALSE(acme_admin.sees("bob", "beta")); // a tenant's admin stays in
  EXPECT_EQ(tenant_collection("acme", "orders"), "acme.orders");
  EXPECT_EQ(visible_collection("acme", "acme.orders"), "orders");
  EXPECT_EQ(visible_collection("acme", "beta.orders"), "");
  EXPECT_EQ(visible_collection("acme", "orders"), "");
  EXPECT_EQ(visible_collection("", "acme.orders"), "");
  EXPECT_EQ(visible_collection("", "acme.orders", true), "acme.orders");
  for (auto bad : {"", "A", "a.b", "-a", "a_b", "a b",
                   "abcdefghijklmnopqrstuvwxyz0123456"})
    EXPECT_FALSE(valid_tenant_id(bad)) << bad;
  EXPECT_TRUE(valid_tenant_id("acme-1"));
  std::string msg = R"(relation "acme.orders" does not exist; xacme.y)";
  strip_tenant_prefix(msg, "acme");
  EXPECT_EQ(msg, R"(relation "orders" does not exist; xacme.y)");
}

TEST(authenticator, certificates_map_through_their_common_name) {
  auth_section cfg;
  cfg.principals = {"dev1 tenant=acme scope=data:write"};
  std::string err;
  auto a = authenticator::create(cfg, nullptr, err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(authenticator::common_name("CN=dev1,O=Acme,C=DE"), "dev1");
  EXPECT_EQ(authenticator::common_name("O=Acme\\, Inc.,CN=dev\\,2"), "dev,2");
  EXPECT_EQ(authenticator::common_name("O=Acme"), "");
  auto p = a->for_certificate("CN=dev1,O=Acme");
  EXPECT_EQ(p.via, "certificate");
  EXPECT_EQ(p.tenant, "acme");
  EXPECT_TRUE(p.has_scope("data:write"));
  // the CA admits a certificate; only the list grants rights
  auto stranger = a->for_certificate("CN=someone,O=Acme");
  EXPECT_TRUE(stranger.authenticated());
  EXPECT_TRUE(stranger.scopes.empty());
  EXPECT_FALSE(stranger.has_scope("data:read"));
}

TEST(authenticator, jwks_file_rotation_without_restart) {
  temp_dir d;
  auto file = d.file("jwks.json");
  auto write = [&](const std::string& kid, const std::string& key) {
    std::ofstream(file) << R"({"keys":[{"kty":"oct","alg":"HS256","kid":")"
                        << kid << R"(","k":")" << base64url_encode(key)
                        << R"("}]})";
  };
  const std::string k1 = "first key, thirty-two bytes long",
                    k2 = "second key, also "
                         "32 bytes long!!";
  write("k1", k1);
  auth_section cfg;
  cfg.jwt_jwks_file = file;
  cfg.jwks_refresh_s = 3600; // only a new kid forces a look
  std::string err;
  auto a = authenticator::create(cfg, nullptr, err);
  ASSERT_TRUE(a) << err;
  auto s = now_ms / 1000;
  auto claims = R"({"sub":"x","exp":)" + std::to_string(s + 60) + "}";
  EXPECT_TRUE(a->from_token(hs256(claims, "k1", k1), s).ok);
  EXPECT_FALSE(a->from_token(hs256(claims, "k2", k2), s).ok); // not yet
  write("k2", k2); // the identity provider rotates its key
  std::filesystem::last_write_time(
    file, std::filesystem::last_write_time(file) + std::chrono::seconds(5));
  auto r = a->from_token(hs256(claims, "k2", k2), s + 1);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(a->from_token(hs256(claims, "k1", k1), s + 2).ok); // retired
  // a broken file keeps the keys that worked
  std::ofstream(file) << "{not json";
  std::filesystem::last_write_time(
    file, std::filesystem::last_write_time(file) + std::chrono::seconds(10));
  EXPECT_FALSE(a->from_token(hs256(claims, "k9", k2), s + 3).ok);
  EXPECT_TRUE(a->from_token(hs256(claims, "k2", k2), s + 4).ok);
}
