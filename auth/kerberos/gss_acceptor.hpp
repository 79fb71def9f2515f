#pragma once
/// The server's side of GSSAPI (MIT krb5): acceptor credentials read from
/// a keytab, and one context establishment per client (issue 24). Used by
/// HTTP `Authorization: Negotiate` (SPNEGO, RFC 4559) and PostgreSQL's
/// AuthenticationGSS exchange. GSSAPI types stay in the .cpp: nothing that
/// includes this header needs the krb5 headers.
///
/// Blocking: a step reads the keytab file and the replay cache (local
/// files, no network); docs/security.md has the measured cost.

#include <memory>
#include <string>
#include <string_view>

struct gss_cred_id_struct;
struct gss_ctx_id_struct;

namespace themis::auth::kerberos {

class gss_acceptor {
public:
  /// Credentials for `service` on any host name the keytab holds
  /// ("HTTP" accepts HTTP/<any host>@<realm>); null with `error` when the
  /// keytab is unreadable or holds no key for the service.
  static std::shared_ptr<const gss_acceptor> create(const std::string& keytab,
                                                    const std::string& service,
                                                    std::string& error);
  ~gss_acceptor();
  gss_acceptor(const gss_acceptor&) = delete;
  gss_acceptor& operator=(const gss_acceptor&) = delete;

  const std::string& service() const { return service_; }
  gss_cred_id_struct* cred() const { return cred_; }

private:
  gss_acceptor(std::string service, gss_cred_id_struct* cred) :
    service_(std::move(service)), cred_(cred) {}
  std::string service_;
  gss_cred_id_struct* cred_;
};

/// One client's context establishment. Not thread-safe; one per exchange.
class gss_exchange {
public:
  enum class status { continue_needed, complete, failed };
  struct result {
    status st = status::failed;
    std::string out;   ///< token for the client (may be empty)
    std::string error; ///< why it failed (GSSAPI's words)
  };

  explicit gss_exchange(std::shared_ptr<const gss_acceptor> acceptor);
  ~gss_exchange();
  gss_exchange(const gss_exchange&) = delete;
  gss_exchange& operator=(const gss_exchange&) = delete;

  /// Feeds the client's next token. On `complete`, client() is the
  /// authenticated Kerberos principal ("alice@EXAMPLE.COM") and the ticket
  /// was for this acceptor's service (a ticket for another service in the
  /// same keytab is refused).
  result step(std::string_view token);

  const std::string& client() const { return client_; }
  /// Steps taken; callers bound the exchange (a client looping forever).
  int steps() const { return steps_; }

private:
  std::shared_ptr<const gss_acceptor> acceptor_;
  gss_ctx_id_struct* ctx_ = nullptr;
  std::string client_;
  int steps_ = 0;
  bool done_ = false;
};

} // namespace themis::auth::kerberos
