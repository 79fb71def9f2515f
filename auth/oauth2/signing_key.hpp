#pragma once
/// An RSA signing key of the provider (RS256, OpenSSL 3): signs ID tokens
/// and access tokens, and publishes its public half as a JWK whose `kid`
/// is the RFC 7638 thumbprint, so the same key always has the same id and
/// a relying party's JWKS cache can tell keys apart across rotations.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace themis::auth::oauth2 {

class signing_key {
public:
  /// A fresh 2048-bit key; null with `error` if OpenSSL fails.
  static std::shared_ptr<signing_key> generate(std::string& error);
  /// A PEM private key (PKCS#8 or PKCS#1) of 2048 bits or more.
  static std::shared_ptr<signing_key> from_pem(std::string_view pem,
                                               std::string& error);
  ~signing_key();
  signing_key(const signing_key&) = delete;
  signing_key& operator=(const signing_key&) = delete;

  const std::string& kid() const { return kid_; }
  /// The private key as PKCS#8 PEM (for the store).
  std::string private_pem() const;
  /// {"kty":"RSA","use":"sig","alg":"RS256","kid",n,e}.
  const nlohmann::json& public_jwk() const { return jwk_; }
  /// A compact JWS of `claims` with header {alg: RS256, typ, kid}; empty
  /// if signing failed.
  std::string sign_jwt(const nlohmann::json& claims,
                       std::string_view typ = "JWT") const;

private:
  signing_key() = default;
  bool init(std::string& error);
  void* pkey_ = nullptr; ///< EVP_PKEY*
  std::string kid_;
  nlohmann::json jwk_;
};

} // namespace themis::auth::oauth2
