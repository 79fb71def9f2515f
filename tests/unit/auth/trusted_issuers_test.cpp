/// Trusting external IdPs (issue 24), without a network: the entry
/// parser, and issuer_trust over an injected fetch (discovery + JWKS
/// documents served from memory) with tokens signed by real RS256/ES256
/// keys — accepted, wrong audience, expired, unknown issuer, claim
/// mapping, key rotation, the refetch bound, a failing IdP.
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include <chrono>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <thread>

#include "auth/oauth2/signing_key.hpp"
#include "auth/trusted_issuers/issuer_trust.hpp"
#include "themis/clock.hpp"

using namespace themis::auth::trusted;
using themis::auth::oauth2::signing_key;
using json = nlohmann::json;

TEST(trusted_issuer_config, parses_and_refuses) {
  issuer_config c;
  std::string err;
  ASSERT_TRUE(parse_issuer_config(
    "https://idp.example.com/realms/x aud=themis scope_claim=scp "
    "tenant_claim=tid allow_scope=data:read allow_scope=query "
    "user_claim=email",
    c, err))
    << err;
  EXPECT_EQ(c.issuer, "https://idp.example.com/realms/x");
  EXPECT_EQ(c.audience, "themis");
  EXPECT_EQ(c.scope_claim, "scp");
  EXPECT_EQ(c.tenant_claim, "tid");
  EXPECT_EQ(c.user_claim, "email");
  EXPECT_EQ(c.allow_scopes, (std::vector<std::string>{"data:read", "query"}));
  ASSERT_TRUE(parse_issuer_config("http://127.0.0.1:9/x aud=a", c, err));
  for (auto bad : {"", "idp.example.com aud=a", "http://idp.example.com aud=a",
                   "https://idp aud", "https://idp", "https://idp aud=a frob=1",
                   "https://idp aud=a tenant=Bad.Tenant",
                   "https://idp aud=a jwks_uri=http://evil/jwks",
                   "http://localhost:x@evil.example/ aud=a",
                   "https://idp aud=a jwks_uri=http://127.0.0.1@evil/jwks",
                   "https://idp aud=a "
                   "scope_claim="}) {
    err.clear();
    EXPECT_FALSE(parse_issuer_config(bad, c, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

namespace {

const std::string iss = "https://idp.test";

/// An IdP in memory: discovery and a JWKS document that tests rotate.
struct fake_idp {
  std::mutex mu;
  json jwks = {{"keys", json::array()}};
  std::atomic<int> jwks_gets{0};
  bool down = false;
  std::string discovery_issuer = iss;

  void publish(const std::vector<std::shared_ptr<signing_key>>& keys) {
    std::lock_guard g(mu);
    jwks = {{"keys", json::array()}};
    for (auto& k : keys)
      jwks["keys"].push_back(k->public_jwk());
  }
  fetch_fn fetch() {
    return [this](const std::string& url, const std::string&, long) {
      std::lock_guard g(mu);
      get_result r;
      if (down)
        return get_result{0, "", "connection refused"};
      if (url == iss + "/.well-known/openid-configuration") {
        r.status = 200;
        r.body = json{{"issuer", discovery_issuer}, {"jwks_uri", iss + "/jwks"}}
                   .dump();
      } else if (url == iss + "/jwks") {
        ++jwks_gets;
        r.status = 200;
        r.body = jwks.dump();
      } else {
        r.status = 404;
      }
      return r;
    };
  }
};

std::shared_ptr<signing_key> key(const char* alg) {
  std::string err;
  auto k = signing_key::generate(err, alg);
  EXPECT_TRUE(k) << err;
  return k;
}

std::string token(const signing_key& k, json extra, int64_t now = 1000) {
  json c = {{"iss", iss},       {"aud", "themis"},
            {"sub", "alice"},   {"iat", now},
            {"exp", now + 300}, {"scope", "data:read query admin"}};
  for (auto& [n, v] : extra.items())
    c[n] = v;
  return k.sign_jwt(c);
}

issuer_config entry(std::string extra = "") {
  issuer_config c;
  std::string err;
  EXPECT_TRUE(parse_issuer_config(iss + " aud=themis " + extra, c, err)) << err;
  return c;
}

} // namespace

TEST(issuer_trust, accepts_its_tokens_and_refuses_the_rest) {
  fake_idp idp;
  auto rs = key("RS256"), es = key("ES256");
  idp.publish({rs, es});
  trust_settings s;
  issuer_trust t({entry()}, s, idp.fetch());
  ASSERT_TRUE(t.fetch_now(0, 1000));
  std::string err;
  bool mine = false;
  for (auto* k : {rs.get(), es.get()}) {
    auto c = t.verify(token(*k, {}), 1000, err, mine);
    ASSERT_TRUE(c) << err;
    EXPECT_TRUE(mine);
    EXPECT_EQ((*c)["sub"], "alice");
    EXPECT_EQ((*c)["scope"], "data:read query"); // admin needs allow_admin
    EXPECT_FALSE(c->contains("tenant"));
  }
  EXPECT_FALSE(t.verify(token(*rs, {{"aud", "other"}}), 1000, err, mine));
  EXPECT_TRUE(mine);
  EXPECT_FALSE(t.verify(token(*rs, {}, 100), 1000, err, mine)); // expired
  EXPECT_TRUE(mine);
  EXPECT_FALSE(
    t.verify(token(*rs, {{"iss", "https://evil"}}), 1000, err, mine));
  EXPECT_FALSE(mine);           // not this verifier's: the next one looks
  auto stranger = key("RS256"); // a key the IdP never published
  EXPECT_FALSE(t.verify(token(*stranger, {}), 1000, err, mine));
  EXPECT_TRUE(mine);
  EXPECT_FALSE(t.verify("not.a.jwt", 1000, err, mine));
  EXPECT_FALSE(mine);
  // an HMAC key in a published JWKS is never used
  idp.jwks["keys"].push_back(
    {{"kty", "oct"}, {"kid", "h"}, {"k", "c2VjcmV0c2VjcmV0"}});
  ASSERT_TRUE(t.fetch_now(0, 1100));
  // … so an HS256 token made with the published secret fails
  auto head = themis::base64url_encode(R"({"alg":"HS256","kid":"h"})");
  auto body = themis::base64url_encode(
    json{{"iss", iss}, {"aud", "themis"}, {"sub", "x"}, {"exp", 2000}}.dump());
  unsigned char mac[32];
  unsigned int n = 0;
  auto input = head + "." + body;
  HMAC(EVP_sha256(), "secretsecret", 12,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &n);
  auto forged =
    input + "." +
    themis::base64url_encode(std::string(reinterpret_cast<char*>(mac), n));
  EXPECT_FALSE(t.verify(forged, 1100, err, mine));
  EXPECT_TRUE(mine);
}

TEST(issuer_trust, maps_claims_by_the_entry) {
  fake_idp idp;
  auto rs = key("RS256");
  idp.publish({rs});
  issuer_trust t(
    {entry("scope_claim=scp tenant_claim=tid "
           "allow_scope=data:read allow_scope=admin user_claim=email")},
    {}, idp.fetch());
  ASSERT_TRUE(t.fetch_now(0, 1000));
  std::string err;
  bool mine = false;
  auto c =
    t.verify(token(*rs, {{"scp", json::array({"data:read", "query", "admin"})},
                         {"tid", "acme"},
                         {"email", "a@x"},
                         {"tenant", "evil"}}),
             1000, err, mine);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ((*c)["sub"], "a@x");
  EXPECT_EQ((*c)["scope"], "data:read admin");
  EXPECT_EQ((*c)["tenant"], "acme");
  EXPECT_FALSE(t.verify(token(*rs, {{"email", 5}}), 1000, err, mine));
  // an entry that maps tenants refuses a token without one (no global
  // principal), and an empty tenant claim too
  EXPECT_FALSE(t.verify(token(*rs, {{"email", "a@x"}}), 1000, err, mine));
  EXPECT_NE(err.find("tid"), std::string::npos) << err;
  EXPECT_FALSE(
    t.verify(token(*rs, {{"email", "a@x"}, {"tid", ""}}), 1000, err, mine));
  // a fixed tenant wins over the claim
  issuer_trust fixed({entry("tenant=beta tenant_claim=tid")}, {}, idp.fetch());
  ASSERT_TRUE(fixed.fetch_now(0, 1000));
  c = fixed.verify(token(*rs, {{"tid", "acme"}}), 1000, err, mine);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ((*c)["tenant"], "beta");
}

TEST(issuer_trust, rotation_is_picked_up_with_a_bounded_refetch) {
  fake_idp idp;
  auto k1 = key("RS256"), k2 = key("ES256");
  idp.publish({k1});
  trust_settings s;
  s.min_refetch_s = 10;
  s.wait_ms = 2000;
  issuer_trust t({entry()}, s, idp.fetch());
  t.start();
  std::string err;
  bool mine = false;
  // the first request waits (bounded) for the first fetch
  auto now = themis::unix_now_ms() / 1000;
  ASSERT_TRUE(t.verify(token(*k1, {}, now), now, err, mine)) << err;
  idp.publish({k1, k2}); // rotation: k2 appears
  // the refetch happens at most once per min_refetch_s after the last
  // attempt: at now + 12 the new kid triggers one
  // (refused at once, never waited for: the refetch runs behind it)
  auto later = now + 12;
  bool ok = t.verify(token(*k2, {}, later), later, err, mine).has_value();
  for (int i = 0; i < 300 && !ok; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ok = t.verify(token(*k2, {}, later), later, err, mine).has_value();
  }
  ASSERT_TRUE(ok) << err;
  int gets = idp.jwks_gets;
  // a flood of unknown kids within the bound fetches nothing more
  auto stranger = key("RS256");
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(t.verify(token(*stranger, {}, later), later, err, mine));
  EXPECT_LE(idp.jwks_gets, gets + 1);
}

TEST(issuer_trust, a_failing_idp_keeps_the_keys_that_worked) {
  fake_idp idp;
  auto k = key("RS256");
  idp.publish({k});
  issuer_trust t({entry()}, {}, idp.fetch());
  ASSERT_TRUE(t.fetch_now(0, 1000));
  idp.down = true;
  EXPECT_TRUE(t.fetch_now(0, 2000)); // the old keys are still in force
  std::string err;
  bool mine = false;
  EXPECT_TRUE(t.verify(token(*k, {}, 2000), 2000, err, mine)) << err;
  // an IdP whose discovery names another issuer is never trusted
  fake_idp liar;
  liar.publish({k});
  liar.discovery_issuer = "https://elsewhere";
  issuer_trust t2({entry()}, {}, liar.fetch());
  EXPECT_FALSE(t2.fetch_now(0, 1000));
  trust_settings quick;
  quick.wait_ms = 0;
  issuer_trust t3({entry()}, quick, liar.fetch());
  EXPECT_FALSE(t3.verify(token(*k, {}), 1000, err, mine));
  EXPECT_TRUE(mine);
  EXPECT_NE(err.find("not available"), std::string::npos);
}
