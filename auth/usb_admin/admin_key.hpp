#pragma once
/// USB admin keys (issue 24, break-glass admin login): the public half of
/// a key whose private half lives on removable media. Only Ed25519 and
/// ECDSA P-256 (SHA-256) are accepted, so an enrolled key is small and
/// its signatures have one meaning. Pure (OpenSSL, no CAF, no I/O); no
/// exceptions out.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace themis::auth::usb_admin {

class admin_key {
public:
  /// A PEM "PUBLIC KEY" (SubjectPublicKeyInfo); nullopt with `error` for
  /// anything else (RSA, other curves, private keys, junk, > 4 KiB).
  static std::optional<admin_key> from_pem(std::string_view pem,
                                           std::string& error);

  /// "ed25519" or "p256".
  const std::string& type() const { return type_; }
  /// SHA-256 of the DER public key, hex: the key's id in audit lines.
  const std::string& fingerprint() const { return fingerprint_; }

  /// Whether `sig` (raw 64 bytes for Ed25519; DER for P-256) signs
  /// `message`.
  bool verify(std::string_view message, std::string_view sig) const;

private:
  std::shared_ptr<void> pkey_; ///< EVP_PKEY, freed with EVP_PKEY_free
  std::string type_;
  std::string fingerprint_;
};

/// What the client signs: a fixed context string, so a signature made for
/// a login can never be replayed as anything else, and the nonce.
std::string login_message(std::string_view nonce);

/// The client's half (themisctl): the PEM public key of a private key,
/// and its signature of login_message(nonce) in the form verify() takes
/// (raw Ed25519, DER ECDSA over SHA-256); "" on failure. `evp_pkey` is
/// an EVP_PKEY* (void here: this header needs no OpenSSL).
std::string public_pem_of(const void* evp_pkey);
std::string sign_login(const void* evp_pkey, std::string_view nonce);

} // namespace themis::auth::usb_admin
