#include "auth/oauth2/pkce.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "themis/base64.hpp"

namespace themis::auth::oauth2 {

bool pkce_valid_string(std::string_view v) {
  if (v.size() < 43 || v.size() > 128)
    return false;
  for (char c : v) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
              c == '~';
    if (!ok)
      return false;
  }
  return true;
}

std::string pkce_s256(std::string_view verifier) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()),
         verifier.size(), d);
  return base64url_encode(
    std::string_view(reinterpret_cast<const char*>(d), sizeof d));
}

bool pkce_verify(std::string_view method, std::string_view challenge,
                 std::string_view verifier) {
  if (!pkce_valid_string(verifier) || !pkce_valid_string(challenge))
    return false;
  std::string expected;
  if (method == "S256")
    expected = pkce_s256(verifier);
  else if (method == "plain")
    expected = std::string(verifier);
  else
    return false;
  return expected.size() == challenge.size() &&
         CRYPTO_memcmp(expected.data(), challenge.data(), expected.size()) == 0;
}

} // namespace themis::auth::oauth2
