#pragma once
/// Proof Key for Code Exchange (RFC 7636). The challenge travels with the
/// authorization request, the verifier with the token request; only a
/// client that made the first can complete the second, so a stolen code
/// is useless. `plain` gives no protection against a code intercepted on
/// the way back, so it is refused unless the operator allows it.

#include <string>
#include <string_view>

namespace themis::auth::oauth2 {

/// Whether `v` is a valid code_verifier or code_challenge: 43-128 of
/// [A-Z a-z 0-9 - . _ ~] (§4.1).
bool pkce_valid_string(std::string_view v);

/// base64url(SHA-256(verifier)): the S256 challenge of a verifier.
std::string pkce_s256(std::string_view verifier);

/// Whether `verifier` answers `challenge` under `method` ("S256" or
/// "plain"); compared in constant time.
bool pkce_verify(std::string_view method, std::string_view challenge,
                 std::string_view verifier);

} // namespace themis::auth::oauth2
