#pragma once
/// Wires the SAML SP into the server (actors/server.cpp): its logins mint
/// the OAuth2 provider's access tokens (client_id "saml"), which the
/// authenticator already accepts on every protocol, and SLO revokes them.

#include <memory>
#include <string>

#include "auth/saml/service_provider.hpp"

namespace themis::auth::oauth2 {
class provider;
}

namespace themis::auth::saml {

/// The client_id of tokens a SAML sign-in minted.
inline constexpr const char* saml_client_id = "saml";

/// Null without `error` when saml.enabled is off; null with `error` when
/// the configuration is unusable (saml.enabled needs oauth2.enabled).
std::unique_ptr<service_provider> create_server_saml(const server_config& cfg,
                                                     oauth2::provider* tokens,
                                                     std::string& error);

} // namespace themis::auth::saml
