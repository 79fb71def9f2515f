#pragma once
/// A signing key of the provider (OpenSSL 3): RSA 2048+ (RS256) or EC
/// P-256 (ES256). Signs ID tokens and access tokens, and publishes its
/// public half as a JWK whose `kid` is the RFC 7638 thumbprint, so the
/// same key always has the same id and a relying party's JWKS cache can
/// tell keys apart across rotations.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace themis::auth::oauth2 {

class signing_key {
public:
  /// A fresh key for `alg` ("RS256": RSA 2048, "ES256": P-256); null
  /// with `error` if OpenSSL fails or the algorithm is unknown.
  static std::shared_ptr<signing_key> generate(std::string& error,
                                               std::string_view alg = "RS256");
  /// A PEM private key: RSA of 2048 bits or more, or EC P-256.
  static std::shared_ptr<signing_key> from_pem(std::string_view pem,
                                               std::string& error);
  ~signing_key();
  signing_key(const signing_key&) = delete;
  signing_key& operator=(const signing_key&) = delete;

  const std::string& kid() const { return kid_; }
  /// The private key as PKCS#8 PEM (for the store).
  std::string private_pem() const;
  /// "RS256" or "ES256".
  const std::string& alg() const { return alg_; }
  /// {"kty":"RSA","use":"sig","alg":"RS256","kid",n,e} or the EC form
  /// (crv P-256, x, y).
  const nlohmann::json& public_jwk() const { return jwk_; }
  /// A compact JWS of `claims` with header {alg, typ, kid}; empty
  /// if signing failed.
  std::string sign_jwt(const nlohmann::json& claims,
                       std::string_view typ = "JWT") const;

private:
  signing_key() = default;
  bool init(std::string& error);
  void* pkey_ = nullptr; ///< EVP_PKEY*
  std::string kid_;
  std::string alg_ = "RS256";
  nlohmann::json jwk_;
};

} // namespace themis::auth::oauth2
