#pragma once
/// HTTP endpoints of the SAML 2.0 service provider (issue 24;
/// docs/security.md, "SAML 2.0 service provider"): login (redirect to the
/// IdP), the ACS, SLO and the SP metadata. Translation only —
/// auth/saml/service_provider decides. 404 while saml.enabled is off.

namespace themis {

class route_registry;

void register_saml_routes(route_registry& reg);

} // namespace themis
