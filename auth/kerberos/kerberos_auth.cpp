#include "auth/kerberos/kerberos_auth.hpp"

#include "auth/authenticator.hpp"

namespace themis::auth::kerberos {

std::shared_ptr<const kerberos_auth>
kerberos_auth::create(const auth_section& cfg, bool want_pg,
                      std::string& error) {
  if (cfg.kerberos_keytab.empty())
    return nullptr;
  auto realms = realm_map::parse(cfg.kerberos_realms, error);
  if (!realms)
    return nullptr;
  if (realms->empty()) {
    error = "auth.kerberos.realms names no realm: nobody could sign in";
    return nullptr;
  }
  auto k = std::make_shared<kerberos_auth>();
  k->realms_ = std::move(*realms);
  if (!cfg.kerberos_service.empty()) {
    k->http_ =
      gss_acceptor::create(cfg.kerberos_keytab, cfg.kerberos_service, error);
    if (!k->http_)
      return nullptr;
  }
  if (want_pg) {
    k->pg_ =
      gss_acceptor::create(cfg.kerberos_keytab, cfg.kerberos_pg_service, error);
    if (!k->pg_)
      return nullptr;
  }
  return k;
}

kerberos_auth::outcome
kerberos_auth::negotiate(std::string_view token,
                         const authenticator& users) const {
  outcome o;
  if (!http_) {
    o.error = "Kerberos is not configured for HTTP";
    return o;
  }
  if (token.empty() || token.size() > max_token) {
    o.error = "Negotiate token empty or too large";
    return o;
  }
  gss_exchange x(http_);
  auto r = x.step(token);
  if (r.st == gss_exchange::status::continue_needed) {
    o.error = "SPNEGO needs another leg (NTLM?); only Kerberos is accepted";
    return o;
  }
  if (r.st != gss_exchange::status::complete) {
    o.error = r.error;
    return o;
  }
  auto who = to_principal(x.client(), users, o.error);
  if (!who)
    return o;
  o.ok = true;
  o.who = std::move(*who);
  o.reply = std::move(r.out);
  return o;
}

std::unique_ptr<gss_exchange> kerberos_auth::pg_exchange() const {
  if (!pg_)
    return nullptr;
  return std::make_unique<gss_exchange>(pg_);
}

std::optional<principal> kerberos_auth::to_principal(const std::string& client,
                                                     const authenticator& users,
                                                     std::string& error) const {
  auto m = realms_.map(client, error);
  if (!m)
    return std::nullopt;
  principal p;
  p.user = m->user;
  p.via = "kerberos";
  std::string tenant;
  std::vector<std::string> scopes;
  bool listed = users.lookup_user(m->user, tenant, scopes);
  p.tenant = m->rule.tenant.empty() ? tenant : m->rule.tenant;
  p.scopes = listed ? scopes : m->rule.scopes;
  return p;
}

} // namespace themis::auth::kerberos
