/// JWT verification: good tokens for each algorithm, and every way a token
/// must be refused (expired, not yet valid, wrong issuer or audience, bad
/// signature, alg=none, algorithm confusion, unknown kid, garbage); keys
/// from PEM and from JWKS with rotation by kid.

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth/jwt.hpp"

using namespace themis::auth;
using json = nlohmann::json;

namespace {

constexpr int64_t now = 1800000000;

struct keypair {
  EVP_PKEY* k = nullptr;
  explicit keypair(bool rsa) {
    k = rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
            : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  ~keypair() { EVP_PKEY_free(k); }
  std::string public_pem() const {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(b);
    return out;
  }
  /// JOSE signature: PKCS#1 v1.5 for RSA, r‖s for EC.
  std::string sign(const std::string& data) const {
    auto* md = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, k);
    EVP_DigestSign(md, nullptr, &len,
                   reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
    sig.resize(len);
    EVP_MD_CTX_free(md);
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
      return sig;
    auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    auto* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string rs(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es),
                 reinterpret_cast<unsigned char*>(rs.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es),
                 reinterpret_cast<unsigned char*>(rs.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return rs;
  }
  /// The public key as a JWK.
  json jwk(const std::string& kid) const {
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
      BIGNUM *n = nullptr, *e = nullptr;
      EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
      auto bytes = [](BIGNUM* b) {
        std::string s(static_cast<size_t>(BN_num_bytes(b)), '\0');
        BN_bn2bin(b, reinterpret_cast<unsigned char*>(s.data()));
        return s;
      };
      json j{{"kty", "RSA"},
             {"kid", kid},
             {"n", base64url_encode(bytes(n))},
             {"e", base64url_encode(bytes(e))}};
      BN_free(n);
      BN_free(e);
      return j;
    }
    unsigned char pub[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
                                    &len);
    std::string x(reinterpret_cast<char*>(pub) + 1, 32),
      y(reinterpret_cast<char*>(pub) + 33, 32);
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"kid", kid},
            {"x", base64url_encode(x)},
            {"y", base64url_encode(y)}};
  }
};

std::string hs256(const std::string& secret, const std::string& data) {
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string input(const json& head, const json& claims) {
  return base64url_encode(head.dump()) + "." + base64url_encode(claims.dump());
}

json claims(int64_t exp = now + 600) {
  return {{"sub", "alice"},
          {"iss", "https://idp.test"},
          {"aud", json::array({"themis", "other"})},
          {"exp", exp},
          {"scope", "data:read query"}};
}

jwt_policy policy() {
  jwt_policy p;
  p.issuer = "https://idp.test";
  p.audience = {"themis"};
  return p;
}

} // namespace

TEST(jwt, hs256_good_and_refused) {
  jwks keys;
  keys.add(jwt_key::hmac("h1", "a shared secret of enough length"));
  auto sign = [&](const json& h, const json& c) {
    auto in = input(h, c);
    return in + "." +
           base64url_encode(hs256("a shared secret of enough length", in));
  };
  json head{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "h1"}};
  auto ok = verify_jwt(sign(head, claims()), keys, policy(), now);
  ASSERT_EQ(ok.status, jwt_status::ok) << ok.error;
  EXPECT_EQ(ok.claims["sub"], "alice");
  EXPECT_EQ(
    verify_jwt(sign(head, claims(now - 120)), keys, policy(), now).status,
    jwt_status::expired);
  // within the skew an expired token still passes
  EXPECT_EQ(
    verify_jwt(sign(head, claims(now - 30)), keys, policy(), now).status,
    jwt_status::ok);
  auto future = claims();
  future["nbf"] = now + 3600;
  EXPECT_EQ(verify_jwt(sign(head, future), keys, policy(), now).status,
            jwt_status::not_yet_valid);
  auto other_aud = claims();
  other_aud["aud"] = "someone-else";
  EXPECT_EQ(verify_jwt(sign(head, other_aud), keys, policy(), now).status,
            jwt_status::wrong_audience);
  auto other_iss = claims();
  other_iss["iss"] = "https://evil.test";
  EXPECT_EQ(verify_jwt(sign(head, other_iss), keys, policy(), now).status,
            jwt_status::wrong_issuer);
  auto no_exp = claims();
  no_exp.erase("exp");
  EXPECT_EQ(verify_jwt(sign(head, no_exp), keys, policy(), now).status,
            jwt_status::expired);
  // a changed claim breaks the signature
  auto t = sign(head, claims());
  auto dot = t.find('.');
  auto forged = t.substr(0, dot + 1) +
                base64url_encode(claims(now + 999999).dump()) +
                t.substr(t.rfind('.'));
  EXPECT_EQ(verify_jwt(forged, keys, policy(), now).status,
            jwt_status::bad_signature);
}

TEST(jwt, alg_none_and_confusion_are_refused) {
  keypair rsa(true);
  std::string err;
  jwks keys;
  keys.add(jwt_key::pem("r1", rsa.public_pem(), err));
  ASSERT_EQ(keys.size(), 1u) << err;
  // alg=none with an empty signature
  auto none = input({{"alg", "none"}, {"kid", "r1"}}, claims()) + ".";
  EXPECT_EQ(verify_jwt(none, keys, policy(), now).status,
            jwt_status::bad_algorithm);
  // HS256 "signed" with the RSA public key as the secret
  json head{{"alg", "HS256"}, {"kid", "r1"}};
  auto in = input(head, claims());
  auto confused = in + "." + base64url_encode(hs256(rsa.public_pem(), in));
  EXPECT_EQ(verify_jwt(confused, keys, policy(), now).status,
            jwt_status::bad_algorithm);
  EXPECT_EQ(
    verify_jwt(input({{"alg", "RS512"}}, claims()) + ".eA", keys, policy(), now)
      .status,
    jwt_status::bad_algorithm);
}

TEST(jwt, rs256_and_es256_from_pem) {
  for (bool is_rsa : {true, false}) {
    keypair kp(is_rsa);
    std::string err;
    jwks keys;
    keys.add(jwt_key::pem("k", kp.public_pem(), err));
    ASSERT_EQ(keys.size(), 1u) << err;
    json head{{"alg", is_rsa ? "RS256" : "ES256"}, {"kid", "k"}};
    auto in = input(head, claims());
    auto token = in + "." + base64url_encode(kp.sign(in));
    auto r = verify_jwt(token, keys, policy(), now);
    EXPECT_EQ(r.status, jwt_status::ok) << r.error;
    keypair other(is_rsa); // signed by another key
    auto wrong = in + "." + base64url_encode(other.sign(in));
    EXPECT_EQ(verify_jwt(wrong, keys, policy(), now).status,
              jwt_status::bad_signature);
  }
}

TEST(jwt, jwks_rotation_by_kid) {
  keypair old_key(true), new_key(false);
  json doc{
    {"keys",
     json::array(
       {old_key.jwk("2025"), new_key.jwk("2026"),
        json{{"kty", "RSA"}, {"kid", "broken"}},
        json{{"kty", "oct"}, {"kid", "enc"}, {"use", "enc"}, {"k", "AAAA"}}})}};
  jwks keys;
  size_t skipped = 0;
  std::string err;
  ASSERT_TRUE(keys.add_json(doc.dump(), skipped, err)) << err;
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(skipped, 2u);
  auto token = [&](const keypair& kp, const char* alg, const char* kid) {
    auto in = input({{"alg", alg}, {"kid", kid}}, claims());
    return in + "." + base64url_encode(kp.sign(in));
  };
  EXPECT_EQ(
    verify_jwt(token(old_key, "RS256", "2025"), keys, policy(), now).status,
    jwt_status::ok);
  EXPECT_EQ(
    verify_jwt(token(new_key, "ES256", "2026"), keys, policy(), now).status,
    jwt_status::ok);
  EXPECT_EQ(
    verify_jwt(token(new_key, "ES256", "2027"), keys, policy(), now).status,
    jwt_status::unknown_key);
  // after rotation the old key is gone
  jwks rotated;
  ASSERT_TRUE(rotated.add_json(
    json{{"keys", json::array({new_key.jwk("2026")})}}.dump(), skipped, err));
  EXPECT_EQ(
    verify_jwt(token(old_key, "RS256", "2025"), rotated, policy(), now).status,
    jwt_status::unknown_key);
  EXPECT_FALSE(keys.add_json("[1,2,3]", skipped, err));
}

TEST(jwt, garbage_is_malformed) {
  jwks keys;
  keys.add(jwt_key::hmac("", "secret"));
  std::vector<std::string> bad = {"",
                                  ".",
                                  "..",
                                  "a.b",
                                  "a.b.c.d",
                                  "!!!.e30.",
                                  "e30.!!!.",
                                  "bnVsbA.e30.",
                                  "e30.bnVsbA.",
                                  "e30.e30.=",
                                  std::string(5000, 'a') + ".e30.x"};
  for (auto& t : bad)
    EXPECT_EQ(verify_jwt(t, keys, policy(), now).status, jwt_status::malformed)
      << t;
  std::string out;
  EXPECT_TRUE(base64url_decode(base64url_encode("any\0bytes"), out));
  EXPECT_FALSE(base64url_decode("a", out)); // one char encodes no byte
}
