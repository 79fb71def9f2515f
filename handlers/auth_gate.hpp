#pragma once
/// Authentication and scopes for HTTP routes (issue 9): every request gets
/// a principal before routing. With `auth.required`, every route but
/// /health* (and /metrics unless configured otherwise) needs a bearer
/// token — `Authorization: Bearer <JWT or API key>` or `X-API-Key` — whose
/// scopes include the route group's (`data:read`, `data:write`, `query`,
/// `jobs`, `cdc:read`, `admin`; `admin` covers all). 401 with
/// `WWW-Authenticate: Bearer …` for a missing or invalid token (RFC 6750),
/// 403 `insufficient_scope` for a valid one without the scope. A token
/// presented while auth is off is still verified: a client that thinks it
/// acts as a tenant must never silently act globally. Refusals are
/// audited. With Kerberos configured (issue 24), `Authorization:
/// Negotiate` (SPNEGO, RFC 4559) is one more credential, and every 401
/// also offers `WWW-Authenticate: Negotiate`.

#include <memory>
#include <optional>
#include <string>

#include "auth/authenticator.hpp"
#include "themis/api_message.hpp"
#include "themis/server_config.hpp"

namespace themis {

namespace engine {
class audit_log;
}
namespace auth::kerberos {
class kerberos_auth;
}
namespace auth::ranger {
class ranger_enforcer;
}

class auth_gate {
public:
  auth_gate(std::shared_ptr<const auth::authenticator> authn,
            engine::audit_log* audit);

  /// Sets `req.who`; a refusal to answer instead of routing, or nothing.
  /// `reply`: headers the answer must carry whatever it is (SPNEGO's
  /// mutual-authentication token).
  std::optional<api_response> check(api_request& req, int64_t now_s,
                                    header_list* reply = nullptr) const;

  /// Kerberos sign-in (null: off). Set once before serving.
  void set_kerberos(std::shared_ptr<const auth::kerberos::kerberos_auth> k) {
    kerberos_ = std::move(k);
  }

  /// Apache Ranger policies (null: off): data and query routes then need
  /// a Ranger allow as well as the scope. Set once before serving.
  void set_ranger(std::shared_ptr<const auth::ranger::ranger_enforcer> r) {
    ranger_ = std::move(r);
  }

  /// The scope a request needs ("" for public routes).
  static std::string required_scope(const std::string& method,
                                    const std::string& path, bool open_metrics);
  /// The path rules alone: routes whose registry entry leaves the scope
  /// to the gate (/metrics, unknown paths), and the registry's unit test.
  static std::string path_scope(const std::string& method,
                                const std::string& path, bool open_metrics);

  const auth::authenticator& authn() const { return *authn_; }

private:
  api_response refuse(const api_request& req, int status,
                      const std::string& error, const std::string& why,
                      const std::string& scope = {}) const;

  std::shared_ptr<const auth::authenticator> authn_;
  engine::audit_log* audit_;
  std::shared_ptr<const auth::kerberos::kerberos_auth> kerberos_;
  std::shared_ptr<const auth::ranger::ranger_enforcer> ranger_;
};

} // namespace themis
