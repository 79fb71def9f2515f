#pragma once
/// Credentials → principal, the same way for every protocol (issue 9).
/// A bearer token is a JWT (signature, exp/nbf/iss/aud by auth/jwt) or an
/// API key (`thk_…`, engine/security/api_key_store); a user name proven by
/// a protocol's own password exchange (MQTT password, PG SCRAM) maps to
/// the tenant and scopes `auth.principals` gives it. No I/O beyond the
/// key store's memory; callable from any thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "themis/principal.hpp"
#include "themis/server_config.hpp"

namespace themis::engine {
class api_key_store;
}

namespace themis::auth {

struct auth_outcome {
  bool ok = false;
  principal who;
  /// Refused: why, for logs, the audit log and RFC 6750's description.
  std::string error;
};

class authenticator {
public:
  /// Reads the key material `cfg` names; null with `error` when a file or
  /// key is unusable, or when auth is required but nothing can verify.
  static std::shared_ptr<const authenticator>
  create(const auth_section& cfg, engine::api_key_store* keys,
         std::string& error);

  authenticator(auth_section cfg, std::shared_ptr<const jwks> jwt_keys,
                engine::api_key_store* keys);

  /// A bearer token: an API key or a JWT.
  auth_outcome from_token(std::string_view token, int64_t now_s) const;
  /// Whether a password field carries a token rather than a password
  /// (MQTT and PG clients pass tokens that way).
  static bool looks_like_token(std::string_view s);
  /// The principal of a user a protocol has authenticated by password.
  principal for_user(const std::string& user) const;
  /// The principal of a verified client certificate (mTLS): its CN is the
  /// user, given a tenant and scopes by `auth.principals`. A CN the list
  /// does not name is authenticated with no scopes: the CA admits a
  /// certificate, the list grants it rights.
  principal for_certificate(const std::string& subject) const;
  /// The `auth.principals` entry of `user`: false when it has none
  /// (Kerberos, issue 24, then falls back to its realm rule).
  bool lookup_user(const std::string& user, std::string& tenant,
                   std::vector<std::string>& scopes) const;
  /// The CN of an RFC 2253 subject ("CN=dev1,O=Acme" → "dev1"), or "".
  static std::string common_name(const std::string& subject);

  /// Whether any token could verify (API keys on, or JWT keys loaded).
  bool accepts_tokens() const {
    return keys_ != nullptr || current_keys()->size() > 0 ||
           local_verifier_ != nullptr;
  }
  /// The built-in OAuth2 provider's access tokens (issue 24): returns the
  /// claims of a token signed with its keys, or nullopt with an error;
  /// `mine` false when the token is not its (the configured keys decide).
  using local_verifier = std::function<std::optional<nlohmann::json>(
    std::string_view token, int64_t now_s, std::string& error, bool& mine)>;
  /// Set once at start, before any request is served (not synchronized).
  void set_local_verifier(local_verifier v) const {
    local_verifier_ = std::move(v);
  }
  /// One more local verifier (USB admin tokens, trusted issuers), tried
  /// before those set earlier; each says `mine` for its own tokens. Also
  /// set once at start only.
  void add_local_verifier(local_verifier v) const {
    if (!local_verifier_) {
      local_verifier_ = std::move(v);
      return;
    }
    local_verifier_ = [first = std::move(v), rest = std::move(local_verifier_)](
                        std::string_view token, int64_t now_s,
                        std::string& error, bool& mine) {
      auto claims = first(token, now_s, error, mine);
      if (claims || mine)
        return claims;
      error.clear();
      return rest(token, now_s, error, mine);
    };
  }
  /// Re-reads auth.jwt_jwks_file if it changed since the last look (at
  /// most every auth.jwks_refresh_s, or at once — once a second — when a
  /// token names a kid nobody knows): keys rotate without a restart. A
  /// file that no longer parses keeps the keys that did.
  void refresh_keys(int64_t now_s, bool unknown_kid) const;
  /// Replaces the `auth.principals` mapping (SIGHUP): connections that
  /// authenticate from now on get the new tenants and scopes. False with
  /// `error` when an entry is malformed; the old mapping stays then.
  bool set_principals(const std::vector<std::string>& entries,
                      std::string& error) const;
  bool required() const { return cfg_.required; }
  const auth_section& config() const { return cfg_; }
  engine::api_key_store* key_store() const { return keys_; }

private:
  auth_outcome from_jwt(std::string_view token, int64_t now_s) const;
  std::shared_ptr<const jwks> current_keys() const {
    std::lock_guard<std::mutex> g(keys_mtx_);
    return jwt_keys_;
  }

  struct user_entry {
    std::string tenant;
    std::vector<std::string> scopes;
  };
  using user_map = std::map<std::string, user_entry>;
  std::shared_ptr<const user_map> current_users() const {
    std::lock_guard<std::mutex> g(users_mtx_);
    return users_;
  }

  /// Claims → principal, for configured keys and the local provider alike.
  auth_outcome from_claims(const nlohmann::json& c) const;

  auth_section cfg_;
  mutable local_verifier local_verifier_;
  mutable std::mutex keys_mtx_;
  mutable std::shared_ptr<const jwks> jwt_keys_;
  mutable int64_t next_refresh_s_ = 0;
  mutable int64_t last_forced_s_ = 0;
  mutable std::filesystem::file_time_type jwks_mtime_{};
  engine::api_key_store* keys_;
  jwt_policy policy_;
  mutable std::mutex users_mtx_;
  mutable std::shared_ptr<const user_map> users_ =
    std::make_shared<const user_map>();
};

/// Parses one `auth.principals` entry, "alice tenant=acme scope=data:read
/// scope=query"; false (with `error`) if malformed.
bool parse_principal_entry(std::string_view text, std::string& user,
                           std::string& tenant,
                           std::vector<std::string>& scopes,
                           std::string& error);

} // namespace themis::auth
