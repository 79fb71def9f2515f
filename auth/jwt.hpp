#pragma once
/// JSON Web Token verification (RFC 7519, JWS RFC 7515, algorithms RFC
/// 7518): HS256, RS256 and ES256; keys from a shared secret, PEM public
/// keys or a JWKS document (RFC 7517), chosen by `kid`; `alg` must match
/// the key (no "none", no HMAC with a public key: the classic algorithm
/// confusion); exp, nbf, iss and aud checked with a clock skew. Pure: no
/// I/O, no actors; the caller supplies the time and the key set.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "themis/base64.hpp"

namespace themis::auth {

enum class jwt_alg { hs256, rs256, es256 };

class jwt_key {
public:
  /// A shared secret for HS256.
  static std::shared_ptr<jwt_key> hmac(std::string kid, std::string secret);
  /// A PEM public key (RSA → RS256, EC P-256 → ES256); null if unreadable.
  static std::shared_ptr<jwt_key> pem(std::string kid, std::string_view pem,
                                      std::string& error);
  ~jwt_key();
  jwt_key(const jwt_key&) = delete;
  jwt_key& operator=(const jwt_key&) = delete;

  const std::string& kid() const { return kid_; }
  jwt_alg alg() const { return alg_; }
  /// Whether `signature` signs `data` (the JWS signing input).
  bool verify(std::string_view data, std::string_view signature) const;

private:
  friend class jwks;
  jwt_key() = default;
  std::string kid_;
  jwt_alg alg_ = jwt_alg::hs256;
  std::string secret_;
  void* pkey_ = nullptr; ///< EVP_PKEY*
};

/// A key set: keys by kid (a token without kid may use the only key).
class jwks {
public:
  void add(std::shared_ptr<jwt_key> k) { keys_.push_back(std::move(k)); }
  /// Adds the keys of a JWKS document (`{"keys":[…]}`: kty RSA with n/e,
  /// EC P-256 with x/y, oct with k); entries it cannot use are skipped
  /// and counted in `skipped`. False if the document is not JWKS at all.
  bool add_json(std::string_view text, size_t& skipped, std::string& error);
  const jwt_key* find(const std::string& kid) const;
  size_t size() const { return keys_.size(); }

private:
  std::vector<std::shared_ptr<jwt_key>> keys_;
};

struct jwt_policy {
  std::string issuer; ///< empty: not checked
  std::vector<std::string>
    audience;          ///< empty: not checked; else one must match
  int64_t skew_s = 60; ///< allowed clock difference
  bool require_exp = true;
};

enum class jwt_status {
  ok,
  malformed,     ///< not three base64url parts of JSON
  bad_algorithm, ///< none, unknown, or not the key's
  unknown_key,   ///< no key for its kid
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
};

struct jwt_result {
  jwt_status status = jwt_status::malformed;
  std::string error; ///< for logs and the WWW-Authenticate description
  nlohmann::json claims;
};

/// Whether an EVP_PKEY (passed as void* so this header needs no OpenSSL)
/// is an EC key on P-256 (prime256v1): the one curve ES256 and the USB
/// admin keys accept.
bool is_p256_key(const void* evp_pkey);

/// Verifies `token` at `now_s` (Unix seconds).
jwt_result verify_jwt(std::string_view token, const jwks& keys,
                      const jwt_policy& policy, int64_t now_s);

using themis::base64url_decode; // (themis/base64.hpp)
using themis::base64url_encode;

} // namespace themis::auth
