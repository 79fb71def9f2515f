#pragma once
/// Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it
/// (no channel binding: gs2 header "n,," or "y,,"; the username in the
/// client message is ignored in favour of the startup packet's). Pure
/// state machine over the SASL messages; secrets can be derived from a
/// plain password or stored as PostgreSQL's
/// "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>" verifier.

#include <optional>
#include <string>
#include <string_view>

namespace themis::pgwire {

struct scram_secret {
  std::string salt; ///< raw bytes
  int iterations = 4096;
  std::string stored_key; ///< raw 32 bytes
  std::string server_key; ///< raw 32 bytes

  /// Derives the secret from a password (SASLprep is not applied: ASCII
  /// passwords as PostgreSQL treats them).
  static scram_secret from_password(std::string_view password, std::string salt,
                                    int iterations = 4096);
  /// Parses PostgreSQL's verifier text.
  static std::optional<scram_secret> parse(std::string_view verifier);
  std::string to_verifier() const;
};

class scram_server {
public:
  /// `nonce` is the server's random part (tests pass a fixed one).
  scram_server(scram_secret secret, std::string nonce);

  /// client-first-message → server-first-message; nullopt: malformed
  /// (the session answers 08P01) — `error()` says why.
  std::optional<std::string> first(std::string_view client_first);
  /// client-final-message → server-final-message ("v=…") when the proof
  /// is right; nullopt when malformed or wrong (`authenticated()` false:
  /// the session answers 28P01).
  std::optional<std::string> final(std::string_view client_final);

  bool authenticated() const { return ok_; }
  const std::string& error() const { return error_; }

private:
  scram_secret secret_;
  std::string server_nonce_;
  std::string nonce_; ///< client + server
  std::string client_first_bare_;
  std::string server_first_;
  std::string gs2_header_;
  std::string error_;
  bool ok_ = false;
};

/// Base64 (standard alphabet, padded).
std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

} // namespace themis::pgwire
