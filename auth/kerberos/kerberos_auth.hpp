#pragma once
/// Kerberos sign-in for every front-end (issue 24): the acceptors of the
/// configured keytab (HTTP's SPNEGO service and PostgreSQL's GSSAPI
/// service) and the realm rules that turn "alice@EXAMPLE.COM" into a
/// themisd principal. The tenant comes from the realm's rule (else from
/// the user's `auth.principals` entry); the scopes from the user's entry
/// (else the rule's defaults). Callable from any thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/kerberos/gss_acceptor.hpp"
#include "auth/kerberos/realm_map.hpp"
#include "themis/principal.hpp"
#include "themis/server_config.hpp"

namespace themis::auth {
class authenticator;
}

namespace themis::auth::kerberos {

class kerberos_auth {
public:
  /// Null without `error` when auth.kerberos.keytab is empty (off); null
  /// with `error` when the keytab, a service or a realm rule is unusable.
  /// `want_pg`: some PostgreSQL user signs in with GSSAPI (pg.auth gss or
  /// a pg.auth_rules line), so the keytab must hold the PG service's key.
  static std::shared_ptr<const kerberos_auth>
  create(const auth_section& cfg, bool want_pg, std::string& error);

  struct outcome {
    bool ok = false;
    principal who;
    std::string reply; ///< the token for the client (mutual auth), raw
    std::string error;
  };

  /// One-leg SPNEGO (RFC 4559): the raw token of `Authorization:
  /// Negotiate`. A mechanism wanting more legs is refused (HTTP keeps no
  /// per-connection context).
  outcome negotiate(std::string_view token, const authenticator& users) const;

  /// A PostgreSQL GSSAPI exchange (null: no PG service key).
  std::unique_ptr<gss_exchange> pg_exchange() const;

  /// An authenticated Kerberos principal → themisd principal, or nullopt
  /// with `error` when no realm rule admits it.
  std::optional<principal> to_principal(const std::string& client,
                                        const authenticator& users,
                                        std::string& error) const;

  bool pg_enabled() const { return pg_ != nullptr; }

  /// Longest token accepted (bytes, decoded): a Kerberos AP-REQ with a
  /// large PAC (Active Directory) stays well under this.
  static constexpr size_t max_token = 64u << 10;

private:
  std::shared_ptr<const gss_acceptor> http_;
  std::shared_ptr<const gss_acceptor> pg_;
  realm_map realms_;
};

} // namespace themis::auth::kerberos
