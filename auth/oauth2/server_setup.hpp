#pragma once
/// Wires the provider into the server (actors/server.cpp): sign-in users
/// from oauth2.users (else mqtt.users) with their tenant and scopes from
/// auth.principals, state in <data_dir>/auth.db, and its access tokens
/// accepted by the authenticator on every protocol.

#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "auth/oauth2/provider.hpp"

namespace themis::auth::oauth2 {

/// Null with `error` when the configuration is unusable, null without
/// error when oauth2.enabled is off; a provider with `error` set is a
/// warning to log (no sign-in users).
std::unique_ptr<provider>
create_server_provider(const server_config& cfg, const std::string& db_path,
                       const std::shared_ptr<const authenticator>& authn,
                       std::string& error);

} // namespace themis::auth::oauth2
