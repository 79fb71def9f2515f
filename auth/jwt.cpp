#include "auth/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "engine/json_bounded.hpp"

namespace themis::auth {

namespace {

using json = nlohmann::json;

EVP_PKEY* as_pkey(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

/// JOSE ES256 signatures are r‖s (32 bytes each); OpenSSL wants DER.
std::string es256_to_der(std::string_view rs) {
  if (rs.size() != 64)
    return {};
  auto* sig = ECDSA_SIG_new();
  auto* r =
    BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()), 32, nullptr);
  auto* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()) + 32,
                      32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  std::string out;
  if (n > 0)
    out.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::optional<jwt_alg> alg_of(const std::string& a) {
  if (a == "HS256")
    return jwt_alg::hs256;
  if (a == "RS256")
    return jwt_alg::rs256;
  if (a == "ES256")
    return jwt_alg::es256;
  return std::nullopt;
}

/// Sets the algorithm from the key type; false for other key types.
bool alg_from_pkey(EVP_PKEY* k, jwt_alg& alg) {
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      alg = jwt_alg::rs256;
      return EVP_PKEY_get_bits(k) >= 2048; // shorter RSA keys are refused
    case EVP_PKEY_EC:
      alg = jwt_alg::es256;
      return is_p256_key(k);
    default:
      return false;
  }
}

EVP_PKEY* rsa_from_jwk(const std::string& n, const std::string& e) {
  auto* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                         static_cast<int>(n.size()), nullptr);
  auto* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                         static_cast<int>(e.size()), nullptr);
  auto* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  auto* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY* k = nullptr;
  auto* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return k;
}

EVP_PKEY* ec_from_jwk(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32)
    return nullptr;
  std::string pub = "\x04" + x + y; // uncompressed point
  auto* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                  0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(),
                                   pub.size());
  auto* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY* k = nullptr;
  auto* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return k;
}

jwt_result fail(jwt_status s, std::string why) {
  jwt_result r;
  r.status = s;
  r.error = std::move(why);
  return r;
}

} // namespace

std::shared_ptr<jwt_key> jwt_key::hmac(std::string kid, std::string secret) {
  std::shared_ptr<jwt_key> k(new jwt_key());
  k->kid_ = std::move(kid);
  k->alg_ = jwt_alg::hs256;
  k->secret_ = std::move(secret);
  return k;
}

std::shared_ptr<jwt_key> jwt_key::pem(std::string kid, std::string_view pem,
                                      std::string& error) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* p = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!p) {
    error = "not a PEM public key";
    return nullptr;
  }
  std::shared_ptr<jwt_key> k(new jwt_key());
  k->kid_ = std::move(kid);
  k->pkey_ = p;
  if (!alg_from_pkey(p, k->alg_)) {
    error = "only RSA (2048 bits or more) and EC P-256 keys are supported";
    return nullptr;
  }
  return k;
}

jwt_key::~jwt_key() {
  EVP_PKEY_free(as_pkey(pkey_));
}

bool jwt_key::verify(std::string_view data, std::string_view sig) const {
  if (alg_ == jwt_alg::hs256) {
    unsigned char mac[32];
    unsigned len = 0;
    HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
         &len);
    return sig.size() == len && CRYPTO_memcmp(mac, sig.data(), len) == 0;
  }
  std::string der;
  if (alg_ == jwt_alg::es256) {
    der = es256_to_der(sig);
    if (der.empty())
      return false;
    sig = der;
  }
  auto* md = EVP_MD_CTX_new();
  bool ok =
    EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, as_pkey(pkey_)) ==
      1 &&
    EVP_DigestVerify(
      md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
      reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

bool jwks::add_json(std::string_view text, size_t& skipped,
                    std::string& error) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("keys") ||
      !j["keys"].is_array()) {
    error = "not a JWKS document ({\"keys\": [...]})";
    return false;
  }
  skipped = 0;
  for (auto& k : j["keys"]) {
    auto str = [&](const char* f) {
      std::string raw;
      if (!k.is_object() || !k.contains(f) || !k[f].is_string() ||
          !base64url_decode(k[f].get<std::string>(), raw))
        return std::string();
      return raw;
    };
    auto kid = k.is_object() ? k.value("kid", "") : "";
    auto kty = k.is_object() ? k.value("kty", "") : "";
    auto use = k.is_object() ? k.value("use", "sig") : "";
    if (use != "sig") {
      ++skipped;
      continue;
    }
    if (kty == "oct") {
      auto secret = str("k");
      if (secret.empty()) {
        ++skipped;
        continue;
      }
      add(jwt_key::hmac(kid, secret));
      continue;
    }
    EVP_PKEY* p = nullptr;
    if (kty == "RSA")
      p = rsa_from_jwk(str("n"), str("e"));
    else if (kty == "EC" && k.value("crv", "") == "P-256")
      p = ec_from_jwk(str("x"), str("y"));
    std::shared_ptr<jwt_key> key(new jwt_key());
    key->kid_ = kid;
    key->pkey_ = p;
    if (!p || !alg_from_pkey(p, key->alg_)) {
      ++skipped;
      continue;
    }
    add(std::move(key));
  }
  return true;
}

const jwt_key* jwks::find(const std::string& kid) const {
  if (kid.empty())
    return keys_.size() == 1 ? keys_[0].get() : nullptr;
  for (auto& k : keys_)
    if (k->kid() == kid)
      return k.get();
  return nullptr;
}

bool is_p256_key(const void* evp_pkey) {
  auto* k = static_cast<const EVP_PKEY*>(evp_pkey);
  if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
    return false;
  char group[64];
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                      sizeof group, &len))
    return false;
  return std::string_view(group, len) == "prime256v1";
}

jwt_result verify_jwt(std::string_view token, const jwks& keys,
                      const jwt_policy& policy, int64_t now) {
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos ||
      token.find('.', d2 + 1) != std::string_view::npos)
    return fail(jwt_status::malformed, "not a JWS compact token");
  std::string head_raw, body_raw, sig;
  if (!base64url_decode(token.substr(0, d1), head_raw) ||
      !base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), body_raw) ||
      !base64url_decode(token.substr(d2 + 1), sig))
    return fail(jwt_status::malformed, "bad base64url");
  // unverified input: bounded before it is parsed (limits.max_json_depth)
  json head, claims;
  engine::parse_untrusted_json(head_raw, head);
  engine::parse_untrusted_json(body_raw, claims);
  if (!head.is_object() || !claims.is_object())
    return fail(jwt_status::malformed, "header or claims are not JSON objects");
  if (!head.contains("alg") || !head["alg"].is_string())
    return fail(jwt_status::bad_algorithm, "no alg");
  auto alg = alg_of(head["alg"].get<std::string>());
  if (!alg)
    return fail(jwt_status::bad_algorithm, "algorithm " +
                                             head["alg"].get<std::string>() +
                                             " is not accepted");
  if (head.contains("crit"))
    return fail(jwt_status::malformed, "unsupported critical header");
  auto kid = head.contains("kid") && head["kid"].is_string()
               ? head["kid"].get<std::string>()
               : std::string();
  auto* key = keys.find(kid);
  if (!key)
    return fail(jwt_status::unknown_key, "no key for kid '" + kid + "'");
  if (key->alg() != *alg) // a key is used with its own algorithm only
    return fail(jwt_status::bad_algorithm,
                "the token's algorithm does not match its key");
  if (!key->verify(token.substr(0, d2), sig))
    return fail(jwt_status::bad_signature, "bad signature");
  auto number = [&](const char* f) -> std::optional<int64_t> {
    if (!claims.contains(f) || !claims[f].is_number())
      return std::nullopt;
    return static_cast<int64_t>(claims[f].get<double>());
  };
  auto exp = number("exp");
  if (!exp && policy.require_exp)
    return fail(jwt_status::expired, "no exp claim");
  if (exp && now - policy.skew_s >= *exp)
    return fail(jwt_status::expired, "the token expired");
  if (auto nbf = number("nbf"); nbf && now + policy.skew_s < *nbf)
    return fail(jwt_status::not_yet_valid, "the token is not valid yet");
  if (!policy.issuer.empty() &&
      (!claims.contains("iss") || claims["iss"] != policy.issuer))
    return fail(jwt_status::wrong_issuer, "wrong issuer");
  if (!policy.audience.empty()) {
    bool match = false;
    auto check = [&](const json& a) {
      for (auto& want : policy.audience)
        if (a.is_string() && a.get<std::string>() == want)
          match = true;
    };
    if (claims.contains("aud")) {
      if (claims["aud"].is_array())
        for (auto& a : claims["aud"])
          check(a);
      else
        check(claims["aud"]);
    }
    if (!match)
      return fail(jwt_status::wrong_audience, "wrong audience");
  }
  jwt_result r;
  r.status = jwt_status::ok;
  r.claims = std::move(claims);
  return r;
}

} // namespace themis::auth
