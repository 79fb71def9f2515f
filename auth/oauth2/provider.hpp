#pragma once
/// The OAuth2 authorization server and OpenID Connect provider (RFC 6749,
/// 7636, 7662, 7009, 8414, OIDC Core/Discovery/RP-initiated logout). Pure
/// request → answer functions over decoded form parameters: the HTTP
/// handlers (handlers/oauth2_*.cpp) only translate. Sign-in uses the
/// existing password principals (oauth2.users or mqtt.users, with tenants
/// and scopes from auth.principals); access tokens are RS256 JWTs that
/// the authenticator verifies like any other bearer token.
///
/// Thread-safe: handlers call it from worker threads (PBKDF2 and RSA are
/// too slow for an actor's thread).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"
#include "auth/oauth2/client_registry.hpp"
#include "auth/oauth2/form_codec.hpp"
#include "auth/oauth2/grant_store.hpp"
#include "auth/oauth2/signing_key.hpp"
#include "themis/principal.hpp"
#include "themis/server_config.hpp"

namespace themis::auth::oauth2 {

/// What the audit log should record about an answer (the handler adds
/// peer address and request id): sign-ins, refused clients, and the
/// replays that revoke a grant — the events an operator must see.
struct audit_note {
  std::string action;  ///< oauth2.login, oauth2.client_auth, oauth2.reuse …
  std::string outcome; ///< ok | denied
  std::string user;
  std::string tenant;
  std::string detail;
};

/// An endpoint's answer, protocol-neutral.
struct answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<audit_note> audit;
};

/// Who may sign in, and as what.
struct user_directory {
  /// Whether `password` is `user`'s (constant-time, PBKDF2).
  std::function<bool(const std::string& user, const std::string& password)>
    check;
  /// The principal of a user who may sign in; nullopt once removed.
  std::function<std::optional<principal>(const std::string& user)> find;
};

/// The claims the rest of themisd reads (auth.tenant_claim, scope_claim).
struct claim_names {
  std::string tenant = "tenant";
  std::string scope = "scope";
};

class provider {
public:
  /// Opens the store at `db_path`, loads clients and keys (generating the
  /// first key); null with `error` on a bad client entry or key file.
  static std::unique_ptr<provider>
  create(const oauth2_section& cfg, const std::string& db_path,
         int busy_timeout_ms, user_directory users, claim_names claims,
         std::string& error);

  provider(const oauth2_section& cfg, std::unique_ptr<grant_store> store,
           user_directory users, claim_names claims);

  /// The issuer: configured, or http(s)://<host> of the request.
  std::string issuer_for(const std::string* host, bool tls) const;

  /// OIDC discovery (`openid`) or RFC 8414 metadata.
  nlohmann::json metadata(const std::string& issuer, bool openid) const;
  /// {"keys": [current, previous]}.
  nlohmann::json jwks() const;

  answer authorize_get(const form_map& q, const std::string& issuer,
                       int64_t now_s);
  /// The login form's POST; `cookie` is the request's Cookie header (the
  /// form's CSRF token is bound to the browser that opened it).
  answer authorize_post(const form_map& body, const std::string* cookie,
                        const std::string& issuer, int64_t now_s);
  answer token(const form_map& body, const std::string* authorization,
               const std::string& issuer, int64_t now_s);
  answer introspect(const form_map& body, const std::string* authorization,
                    const std::string& issuer, int64_t now_s);
  answer revoke(const form_map& body, const std::string* authorization,
                const std::string& issuer, int64_t now_s);
  answer userinfo(const std::string* authorization, int64_t now_s);
  /// `issuer`: where the console client may return (console_redirect).
  answer end_session(const form_map& q, int64_t now_s,
                     const std::string& issuer = {});

  /// Verifies an access token this provider issued: the claims, or
  /// nullopt with `error`. `mine` is false when the token's key is not
  /// this provider's (another verifier should look at it).
  std::optional<nlohmann::json> verify_access_token(std::string_view token,
                                                    int64_t now_s,
                                                    std::string& error,
                                                    bool& mine) const;

  /// A token response for a principal another sign-in proved (SAML,
  /// issue 24) as `client_id`: the same access token a code exchange
  /// mints, in a new family that store().revoke_family ends (SLO).
  nlohmann::json issue_for(const principal& who, const std::string& client_id,
                           const std::string& issuer, int64_t now_s,
                           std::string& family);

  /// Admin API: registers a client from its JSON description; the answer
  /// carries the generated secret once (confidential clients).
  answer admin_create_client(const nlohmann::json& body);
  nlohmann::json admin_list_clients() const;
  answer admin_delete_client(const std::string& id);
  /// A new current signing key (of `alg`, RS256 or ES256; empty: the
  /// current key's); the old one stays published and valid. Switching
  /// algorithms is a rotation.
  answer admin_rotate_keys(int64_t now_s, const std::string& alg = {});

  grant_store& store() { return *store_; }
  const client_registry& clients() const { return clients_; }

private:
  struct key_ring {
    std::shared_ptr<signing_key> current;
    std::vector<std::shared_ptr<signing_key>> all; ///< current first
    themis::auth::jwks verify;
  };
  struct pending_login {
    std::string csrf;
    std::string cookie; ///< the browser binding (Set-Cookie on the form)
    std::string client_id, redirect_uri, scope, state, nonce;
    std::string challenge, method;
    int64_t expires_s = 0;
    int attempts = 0;
  };
  struct issued {
    nlohmann::json body;
    std::string access_jti;
  };

  bool load_keys(std::string& error);
  /// client_secret_basic/post, none, or private_key_jwt.
  client_auth authenticate(const form_map& body,
                           const std::string* authorization,
                           const std::string& issuer, int64_t now_s);
  void set_keys(std::vector<std::shared_ptr<signing_key>> keys);
  std::shared_ptr<const key_ring> ring() const;

  answer login_form(const std::string& id, const pending_login& p,
                    const std::string& message, int status) const;
  answer redirect_error(const std::string& redirect_uri,
                        const std::string& error,
                        const std::string& description,
                        const std::string& state,
                        const std::string& issuer) const;
  std::string grant_scope(const std::string& requested, const oauth2_client& c,
                          const principal& who) const;
  /// Access token (and ID token and refresh token) for a grant.
  nlohmann::json mint(const grant& g, const std::string& issuer,
                      const std::string& family, bool id_token, int64_t now_s);
  answer token_code(const form_map& body, const oauth2_client& c,
                    const std::string& issuer, int64_t now_s);
  answer token_refresh(const form_map& body, const oauth2_client& c,
                       const std::string& issuer, int64_t now_s);
  answer token_client_credentials(const form_map& body, const oauth2_client& c,
                                  const std::string& issuer, int64_t now_s);

  oauth2_section cfg_;
  std::unique_ptr<grant_store> store_;
  user_directory users_;
  claim_names claims_;
  client_registry clients_;
  bool key_from_file_ = false;
  mutable std::mutex ring_mtx_;
  std::shared_ptr<const key_ring> ring_;
  std::mutex pending_mtx_;
  std::map<std::string, pending_login> pending_;
};

/// {"error": e, "error_description": d} with Cache-Control: no-store.
answer oauth_error(int status, const std::string& error,
                   const std::string& description);

} // namespace themis::auth::oauth2
