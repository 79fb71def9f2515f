#include "auth/oauth2/signing_key.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "themis/base64.hpp"

namespace themis::auth::oauth2 {

namespace {

EVP_PKEY* as_pkey(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

/// Big-endian bytes of an RSA parameter (n or e).
std::string bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  if (!EVP_PKEY_get_bn_param(k, name, &bn))
    return {};
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

/// A P-256 public point's x and y (32 bytes each), from its
/// uncompressed encoding 04‖x‖y.
bool ec_point(EVP_PKEY* k, std::string& x, std::string& y) {
  unsigned char buf[65];
  size_t len = 0;
  if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf,
                                       sizeof buf, &len) ||
      len != 65 || buf[0] != 4)
    return false;
  x.assign(reinterpret_cast<char*>(buf) + 1, 32);
  y.assign(reinterpret_cast<char*>(buf) + 33, 32);
  return true;
}

bool is_p256(EVP_PKEY* k) {
  char group[64];
  size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                        sizeof group, &len) &&
         std::string_view(group, len) == "prime256v1";
}

/// JOSE wants r‖s (32 bytes each) where OpenSSL writes DER.
std::string der_to_rs(const std::string& der) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig)
    return {};
  std::string out(64, '\0');
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  bool ok =
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) ==
      32;
  ECDSA_SIG_free(sig);
  return ok ? out : std::string();
}

} // namespace

std::shared_ptr<signing_key> signing_key::generate(std::string& error,
                                                   std::string_view alg) {
  std::shared_ptr<signing_key> k(new signing_key());
  if (alg == "RS256")
    k->pkey_ = EVP_RSA_gen(2048);
  else if (alg == "ES256")
    k->pkey_ = EVP_EC_gen("P-256");
  else {
    error = "unknown signing algorithm " + std::string(alg);
    return nullptr;
  }
  if (!k->pkey_) {
    error = "key generation failed";
    return nullptr;
  }
  return k->init(error) ? k : nullptr;
}

std::shared_ptr<signing_key> signing_key::from_pem(std::string_view pem,
                                                   std::string& error) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* p = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!p) {
    error = "not a PEM private key";
    return nullptr;
  }
  std::shared_ptr<signing_key> k(new signing_key());
  k->pkey_ = p;
  bool rsa =
    EVP_PKEY_get_base_id(p) == EVP_PKEY_RSA && EVP_PKEY_get_bits(p) >= 2048;
  bool ec = EVP_PKEY_get_base_id(p) == EVP_PKEY_EC && is_p256(p);
  if (!rsa && !ec) {
    error = "the signing key must be RSA of 2048 bits or more, or EC P-256";
    return nullptr;
  }
  return k->init(error) ? k : nullptr;
}

bool signing_key::init(std::string& error) {
  if (EVP_PKEY_get_base_id(as_pkey(pkey_)) == EVP_PKEY_EC) {
    std::string x, y;
    if (!ec_point(as_pkey(pkey_), x, y)) {
      error = "cannot read the EC public key";
      return false;
    }
    auto x64 = base64url_encode(x), y64 = base64url_encode(y);
    std::string canon = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x64 +
                        "\",\"y\":\"" + y64 + "\"}";
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(canon.data()), canon.size(),
           d);
    kid_ = base64url_encode(
      std::string_view(reinterpret_cast<const char*>(d), sizeof d));
    alg_ = "ES256";
    jwk_ = {{"kty", "EC"},    {"use", "sig"}, {"alg", "ES256"}, {"kid", kid_},
            {"crv", "P-256"}, {"x", x64},     {"y", y64}};
    return true;
  }
  auto n = bn_param(as_pkey(pkey_), OSSL_PKEY_PARAM_RSA_N);
  auto e = bn_param(as_pkey(pkey_), OSSL_PKEY_PARAM_RSA_E);
  if (n.empty() || e.empty()) {
    error = "cannot read the RSA public key";
    return false;
  }
  auto n64 = base64url_encode(n), e64 = base64url_encode(e);
  // RFC 7638: the required members in lexicographic order, no spaces
  std::string canon =
    "{\"e\":\"" + e64 + "\",\"kty\":\"RSA\",\"n\":\"" + n64 + "\"}";
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canon.data()), canon.size(), d);
  kid_ = base64url_encode(
    std::string_view(reinterpret_cast<const char*>(d), sizeof d));
  jwk_ = {{"kty", "RSA"}, {"use", "sig"}, {"alg", "RS256"},
          {"kid", kid_},  {"n", n64},     {"e", e64}};
  return true;
}

signing_key::~signing_key() {
  EVP_PKEY_free(as_pkey(pkey_));
}

std::string signing_key::private_pem() const {
  auto* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (PEM_write_bio_PrivateKey(bio, as_pkey(pkey_), nullptr, nullptr, 0,
                               nullptr, nullptr) == 1) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return out;
}

std::string signing_key::sign_jwt(const nlohmann::json& claims,
                                  std::string_view typ) const {
  nlohmann::json header = {{"alg", alg_}, {"typ", typ}, {"kid", kid_}};
  std::string input =
    base64url_encode(header.dump()) + "." +
    base64url_encode(
      claims.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  auto* md = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr,
                               as_pkey(pkey_)) == 1 &&
            EVP_DigestSign(md, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(md);
  if (ok && alg_ == "ES256")
    sig = der_to_rs(sig);
  if (!ok || sig.empty())
    return {};
  return input + "." + base64url_encode(sig);
}

} // namespace themis::auth::oauth2
