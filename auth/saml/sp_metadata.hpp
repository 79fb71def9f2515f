#pragma once
/// The SP's own SAML 2.0 metadata (GET /api/v1/auth/saml/metadata): the
/// entity ID, the ACS (HTTP-POST) and SLO (HTTP-POST) URLs, and the
/// signing certificate when one is configured: what an IdP imports to
/// register themisd. Lasso reads the same document to know itself. Pure.

#include <string>

namespace themis::auth::saml {

struct sp_urls {
  std::string entity_id;
  std::string acs_url;
  std::string slo_url;
};

/// `cert_pem`: "" or a PEM certificate (its base64 body is published).
std::string sp_metadata_xml(const sp_urls& u, const std::string& cert_pem,
                            const std::string& name_id_format,
                            bool signs_requests);

} // namespace themis::auth::saml
