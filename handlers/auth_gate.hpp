#pragma once
/// Authentication and scopes for HTTP routes (issue 9, first part): with
/// `auth.required`, every route but /health* (and /metrics unless
/// configured otherwise) needs `Authorization: Bearer <JWT>`; the token's
/// scopes must include the route group's (`data:read`, `data:write`,
/// `query`, `jobs`, `cdc:read`, `admin`; `admin` covers all). 401 with
/// `WWW-Authenticate: Bearer …` for a missing or invalid token (RFC 6750),
/// 403 `insufficient_scope` for a valid one without the scope.

#include <memory>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "themis/api_message.hpp"
#include "themis/server_config.hpp"

namespace themis {

class auth_gate {
public:
  auth_gate(auth_section cfg, std::shared_ptr<const auth::jwks> keys);
  /// Builds the key set from the config (secret, PEM file, JWKS file);
  /// null with `error` when a file or key is unusable.
  static std::shared_ptr<const auth_gate> create(const auth_section& cfg,
                                                 std::string& error);

  /// A refusal to answer instead of routing `req`, or nothing.
  std::optional<api_response> check(const api_request& req,
                                    int64_t now_s) const;

  /// The scope a request needs ("" for public routes).
  static std::string required_scope(const std::string& method,
                                    const std::string& path, bool open_metrics);

private:
  auth_section cfg_;
  std::shared_ptr<const auth::jwks> keys_;
  auth::jwt_policy policy_;
};

} // namespace themis
