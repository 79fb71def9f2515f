#pragma once
/// The SAML 2.0 service provider (issue 24): SP-initiated SSO with an
/// HTTP-Redirect AuthnRequest, the ACS for HTTP-POST responses, the IdP's
/// LogoutRequest (SLO) and the SP metadata. Pure request → answer
/// functions over decoded form fields; handlers/saml_handlers.cpp only
/// translates. A login ends in the OAuth2 provider's access token (the
/// `token_issuer` callbacks), so every protocol accepts it.
///
/// Order of checks on the ACS (each refusal is final): size and DTD
/// guard → Lasso's signature verification (response or assertion, IdP
/// key from metadata, no wrapping) → issuer, Destination, Recipient,
/// audience, time windows with skew → replay cache → InResponseTo names
/// an outstanding request (consumed) and RelayState matches → attribute
/// mapping and required attributes → token. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/oauth2/provider.hpp"
#include "auth/saml/assertion_checks.hpp"
#include "auth/saml/attribute_map.hpp"
#include "auth/saml/lasso_sp.hpp"
#include "auth/saml/replay_cache.hpp"
#include "auth/saml/request_store.hpp"
#include "auth/saml/session_registry.hpp"
#include "auth/saml/sp_metadata.hpp"
#include "themis/principal.hpp"
#include "themis/server_config.hpp"

namespace themis::auth::saml {

/// Mints and revokes the themisd tokens a SAML login stands for.
struct token_issuer {
  /// The token response ({access_token, token_type, expires_in, scope})
  /// for `who`, and the family it starts (revoked by SLO).
  std::function<nlohmann::json(const principal& who, const std::string& issuer,
                               int64_t now_s, std::string& family)>
    issue;
  std::function<void(const std::string& family, int64_t now_s)> revoke;
};

/// An endpoint's answer is the OAuth2 provider's protocol-neutral one
/// (handlers/auth_answer.hpp turns it into HTTP); error bodies here are
/// ThemisDB's {"error":true,"message":…,"status_code":N}.
using saml_answer = oauth2::answer;

class service_provider {
public:
  /// Null with `error` when saml.* is incomplete or a file is unusable.
  static std::unique_ptr<service_provider>
  create(const saml_section& cfg, token_issuer tokens, std::string& error);

  /// GET …/login[?return_to=/path]: 302 to the IdP.
  saml_answer login(const std::string& return_to, int64_t now_s);
  /// POST …/acs: SAMLResponse (base64) and RelayState.
  saml_answer acs(const std::string& saml_response,
                  const std::string& relay_state, const std::string& issuer,
                  int64_t now_s);
  /// POST …/slo with the IdP's SAMLRequest (a LogoutRequest).
  saml_answer idp_logout(const std::string& saml_request, int64_t now_s);
  /// POST …/slo with a bearer token: ends that token's SAML session here.
  saml_answer local_logout(const std::string& family, const std::string& user,
                           int64_t now_s);
  /// GET …/metadata.
  saml_answer metadata() const;

  const sp_urls& urls() const { return urls_; }
  const std::string& idp_entity_id() const { return lasso_->idp_entity_id(); }
  size_t pending_requests() const { return requests_.size(); }
  size_t remembered_assertions() const { return replay_.size(); }

  service_provider(const saml_section& cfg, std::unique_ptr<lasso_sp> l,
                   attribute_map attrs, token_issuer tokens, sp_urls urls,
                   std::string metadata);

private:
  saml_answer refuse(int status, const std::string& message,
                     const std::string& action = "saml.login",
                     const std::string& user = {}) const;

  saml_section cfg_;
  std::unique_ptr<lasso_sp> lasso_;
  attribute_map attrs_;
  token_issuer tokens_;
  sp_urls urls_;
  std::string metadata_;
  request_store requests_;
  replay_cache replay_;
  session_registry sessions_;
};

/// {"error":true,"message":m,"status_code":s} (ThemisDB's error body).
std::string error_body(int status, const std::string& message);

} // namespace themis::auth::saml
