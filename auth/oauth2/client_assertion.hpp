#pragma once
/// private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core
/// §9): the client signs a short JWT with its own private key instead of
/// sending a secret; themisd holds only the public key. The assertion's
/// iss and sub must be the client, its aud this issuer (or one of its
/// endpoint URLs), exp is required, and each jti is accepted once.

#include <cstdint>
#include <functional>
#include <string>

#include "auth/oauth2/client_registry.hpp"

namespace themis::auth::oauth2 {

inline constexpr const char* jwt_bearer_assertion =
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct assertion_context {
  std::string issuer;
  int64_t now_s = 0;
  /// True the first time `key` is seen (kept until `exp_s`): replay check.
  std::function<bool(const std::string& key, int64_t exp_s)> first_use;
};

/// Whether `body` carries a client assertion.
inline bool has_client_assertion(const form_map& body) {
  return body.count("client_assertion") || body.count("client_assertion_type");
}

client_auth authenticate_assertion(const client_registry& reg,
                                   const form_map& body,
                                   const std::string* authorization,
                                   const assertion_context& ctx);

} // namespace themis::auth::oauth2
