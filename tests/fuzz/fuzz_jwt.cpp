/// libFuzzer target for JWT verification: any bytes as a token against an
/// HMAC key set. Invariants: no crash, and nothing but a correctly signed
/// token is accepted (the fuzzer cannot forge HMAC-SHA256).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace themis::auth;
  static const jwks keys = [] {
    jwks k;
    k.add(jwt_key::hmac("k1", "fuzzing secret"));
    return k;
  }();
  std::string_view token(reinterpret_cast<const char*>(data), size);
  jwt_policy p;
  p.require_exp = false;
  auto r = verify_jwt(token, keys, p, 1800000000);
  if (r.status == jwt_status::ok)
    std::abort();
  std::string out;
  if (base64url_decode(token, out) &&
      base64url_encode(out).size() != token.size())
    std::abort();
  return 0;
}
