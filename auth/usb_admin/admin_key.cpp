#include "auth/usb_admin/admin_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "auth/jwt.hpp"
#include "themis/hex.hpp"

namespace themis::auth::usb_admin {

std::string login_message(std::string_view nonce) {
  std::string m = "themis-usb-admin-login-v1\n";
  m += nonce;
  return m;
}

std::optional<admin_key> admin_key::from_pem(std::string_view pem,
                                             std::string& error) {
  if (pem.size() > 4096) {
    error = "public key larger than 4 KiB";
    return std::nullopt;
  }
  if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos) {
    error = "not a PEM PUBLIC KEY";
    return std::nullopt;
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) {
    error = "out of memory";
    return std::nullopt;
  }
  EVP_PKEY* k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!k) {
    error = "unreadable PEM public key";
    return std::nullopt;
  }
  admin_key out;
  out.pkey_ = std::shared_ptr<void>(
    k, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
  int id = EVP_PKEY_get_base_id(k);
  if (id == EVP_PKEY_ED25519) {
    out.type_ = "ed25519";
  } else if (id == EVP_PKEY_EC) {
    if (!is_p256_key(k)) {
      error = "only the P-256 curve is accepted";
      return std::nullopt;
    }
    out.type_ = "p256";
  } else {
    error = "only Ed25519 and P-256 keys are accepted";
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(k, &der);
  if (n <= 0) {
    error = "cannot encode the public key";
    return std::nullopt;
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(n), md);
  OPENSSL_free(der);
  out.fingerprint_ =
    hex_encode(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
  return out;
}

bool admin_key::verify(std::string_view message, std::string_view sig) const {
  if (!pkey_ || sig.empty() || sig.size() > 256)
    return false;
  if (type_ == "ed25519" && sig.size() != 64)
    return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx)
    return false;
  auto* k = static_cast<EVP_PKEY*>(pkey_.get());
  const EVP_MD* md = type_ == "ed25519" ? nullptr : EVP_sha256();
  bool ok =
    EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, k) == 1 &&
    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                     sig.size(),
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string public_pem_of(const void* evp_pkey) {
  auto* k = const_cast<EVP_PKEY*>(static_cast<const EVP_PKEY*>(evp_pkey));
  BIO* b = BIO_new(BIO_s_mem());
  if (!b)
    return {};
  std::string s;
  char* p = nullptr;
  if (PEM_write_bio_PUBKEY(b, k) == 1) {
    long n = BIO_get_mem_data(b, &p);
    if (n > 0)
      s.assign(p, static_cast<size_t>(n));
  }
  BIO_free(b);
  return s;
}

std::string sign_login(const void* evp_pkey, std::string_view nonce) {
  auto* k = const_cast<EVP_PKEY*>(static_cast<const EVP_PKEY*>(evp_pkey));
  bool ed = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;
  auto msg = login_message(nonce);
  auto* m = reinterpret_cast<const unsigned char*>(msg.data());
  std::string sig;
  size_t n = 0;
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (c &&
      EVP_DigestSignInit(c, nullptr, ed ? nullptr : EVP_sha256(), nullptr, k) ==
        1 &&
      EVP_DigestSign(c, nullptr, &n, m, msg.size()) == 1) {
    sig.resize(n);
    if (EVP_DigestSign(c, reinterpret_cast<unsigned char*>(sig.data()), &n, m,
                       msg.size()) == 1)
      sig.resize(n);
    else
      sig.clear();
  }
  EVP_MD_CTX_free(c);
  return sig;
}

} // namespace themis::auth::usb_admin
