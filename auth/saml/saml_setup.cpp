#include "auth/saml/saml_setup.hpp"

#include "auth/oauth2/provider.hpp"

namespace themis::auth::saml {

std::unique_ptr<service_provider> create_server_saml(const server_config& cfg,
                                                     oauth2::provider* tokens,
                                                     std::string& error) {
  if (!cfg.saml.enabled)
    return nullptr;
  if (!tokens) {
    error = "saml.enabled needs oauth2.enabled (a SAML sign-in ends in the "
            "provider's access token)";
    return nullptr;
  }
  token_issuer ti;
  ti.issue = [tokens](const principal& who, const std::string& issuer,
                      int64_t now_s, std::string& family) {
    return tokens->issue_for(who, saml_client_id, issuer, now_s, family);
  };
  ti.revoke = [tokens](const std::string& family, int64_t now_s) {
    tokens->store().revoke_family(family, "saml logout", now_s * 1000);
  };
  return service_provider::create(cfg.saml, std::move(ti), error);
}

} // namespace themis::auth::saml
