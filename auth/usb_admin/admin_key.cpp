#include "auth/usb_admin/admin_key.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

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
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(k, group, sizeof group, &len) != 1 ||
        std::string_view(group) != "prime256v1") {
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
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : md) {
    out.fingerprint_.push_back(hex[c >> 4]);
    out.fingerprint_.push_back(hex[c & 15]);
  }
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

} // namespace themis::auth::usb_admin
