#include "auth/oauth2/signing_key.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
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

} // namespace

std::shared_ptr<signing_key> signing_key::generate(std::string& error) {
  std::shared_ptr<signing_key> k(new signing_key());
  k->pkey_ = EVP_RSA_gen(2048);
  if (!k->pkey_) {
    error = "RSA key generation failed";
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
  if (EVP_PKEY_get_base_id(p) != EVP_PKEY_RSA || EVP_PKEY_get_bits(p) < 2048) {
    error = "the signing key must be RSA of 2048 bits or more";
    return nullptr;
  }
  return k->init(error) ? k : nullptr;
}

bool signing_key::init(std::string& error) {
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
  nlohmann::json header = {{"alg", "RS256"}, {"typ", typ}, {"kid", kid_}};
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
  if (!ok)
    return {};
  return input + "." + base64url_encode(sig);
}

} // namespace themis::auth::oauth2
