#pragma once
/// Registered OAuth2 clients (RFC 6749 §2): confidential ones hold a
/// secret (stored as a PBKDF2 hash, auth/password.hpp), public ones (SPAs,
/// native apps) hold none and must use PKCE S256. Redirect URIs are
/// compared exactly — no prefix, wildcard or case folding — which closes
/// the open-redirect class of attacks. Clients come from configuration
/// (read-only) and from the admin API (persisted by the grant store).

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/oauth2/form_codec.hpp"

namespace themis::auth::oauth2 {

/// The built-in client of the web console (docs/console.md).
inline constexpr const char* console_client_id = "themis-console";

struct oauth2_client {
  std::string id;
  std::string name;
  std::string secret_hash; ///< empty for a public client
  bool is_public = false;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> post_logout_redirect_uris;
  /// The most scope a token for it may carry; empty: whatever the user has.
  std::vector<std::string> scopes;
  std::string tenant; ///< the tenant of its client_credentials tokens
  /// private_key_jwt: the client's PEM public key (RSA or EC P-256)
  std::string public_key_pem;
  std::string public_key_file; ///< config: where public_key_pem comes from
  bool from_config = false;
  /// The built-in console client: besides its listed URIs, it redirects
  /// to the console page of the server itself (console_redirect).
  bool console = false;

  bool has_redirect(std::string_view uri) const;
  bool has_logout_redirect(std::string_view uri) const;
  /// has_redirect, or for the console client the console page under the
  /// origin of `issuer` (the server as the browser reaches it).
  bool allows_redirect(std::string_view uri, std::string_view issuer) const;
  bool allows_logout_redirect(std::string_view uri,
                              std::string_view issuer) const;
  bool allows_scope(std::string_view s) const;
  /// The record as the admin API shows and the store keeps it
  /// (`secret_hash` only when `with_hash`).
  nlohmann::json to_json(bool with_hash) const;
  static std::optional<oauth2_client> from_json(const nlohmann::json& j);
};

/// Parses a config entry: "ID [secret=S] [public_key_file=PEM]
/// redirect_uri=U… [scope=S…] [tenant=T] [post_logout_redirect_uri=U…]
/// [public] [name=N]" (the key file is read by the provider).
bool parse_client_entry(std::string_view text, oauth2_client& out,
                        std::string& error);

/// Whether `uri` is `<origin of issuer>[/prefix…]/console/`: the console
/// served by this server, at its root or under a path prefix a gateway
/// adds (segments of A-Z a-z 0-9 _ . ~ -, none empty or starting with a
/// dot; no query, fragment or userinfo). The origin comes from the issuer
/// — configured, or derived from the Host the browser sent to the
/// authorization endpoint — so a code never leaves for another host: no
/// open redirect. The console is a public client with PKCE S256.
bool console_redirect(std::string_view uri, std::string_view issuer);

/// The built-in console client (public, every scope, no listed URIs).
oauth2_client make_console_client();

/// Checks a client record (ids, URIs without fragments, tenant id).
bool validate_client(const oauth2_client& c, std::string& error);

class client_registry {
public:
  /// False (nothing changed) when the id is taken.
  bool add(oauth2_client c);
  /// Removes an API-registered client; config clients stay.
  bool remove(const std::string& id);
  std::optional<oauth2_client> find(const std::string& id) const;
  std::vector<oauth2_client> list() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, oauth2_client> clients_;
};

/// Outcome of client authentication at the token, introspection and
/// revocation endpoints (§2.3).
struct client_auth {
  bool ok = false;
  oauth2_client client;
  std::string error = "invalid_client"; ///< or invalid_request
  std::string description;
  bool basic = false; ///< credentials came in Authorization: Basic
};

/// client_secret_basic, client_secret_post, or a public client's bare
/// client_id. Both methods at once is invalid_request (§2.3).
client_auth authenticate_client(const client_registry& reg,
                                const form_map& body,
                                const std::string* authorization);

} // namespace themis::auth::oauth2
