#pragma once
/// One `auth.trusted_issuers` entry (issue 24, themisd as an OAuth2
/// resource server): an external IdP whose JWTs themisd accepts, and how
/// its claims become a principal. Text form, one entry a line:
///
///   https://idp.example.com/realms/x aud=themis [jwks_uri=https://…]
///     [ca_file=/etc/ssl/idp-ca.pem] [user_claim=preferred_username]
///     [scope_claim=scp] [tenant_claim=tid | tenant=acme]
///     [allow_scope=data:read allow_scope=query …] [allow_admin=yes]
///
/// Pure: no I/O.

#include <string>
#include <string_view>
#include <vector>

namespace themis::auth::trusted {

struct issuer_config {
  std::string issuer;   ///< exact `iss`; https:// (http:// only on loopback)
  std::string audience; ///< one `aud` value must equal it
  std::string jwks_uri; ///< "" : from discovery
  std::string ca_file;  ///< PEM bundle for the IdP's TLS; "" : system
  std::string user_claim = "sub";
  std::string scope_claim = "scope"; ///< space-separated string or array
  std::string tenant_claim;          ///< "" : no tenant from the token
  std::string tenant;                ///< fixed tenant (wins over the claim)
  /// Only these scopes pass (allow_scope=, repeated); empty: every scope
  /// the token names except `admin`, unless allow_admin.
  std::vector<std::string> allow_scopes;
  bool allow_admin = false;
};

/// Parses one entry; false with `error` naming the bad word.
bool parse_issuer_config(std::string_view text, issuer_config& out,
                         std::string& error);

/// Whether `url` is https://, or http:// to 127.0.0.1/localhost/[::1]
/// (a test IdP on loopback).
bool acceptable_url(const std::string& url);

} // namespace themis::auth::trusted
