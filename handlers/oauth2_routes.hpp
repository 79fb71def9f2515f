#pragma once
/// HTTP endpoints of the OAuth2 / OpenID Connect provider (issue 24;
/// docs/security.md, "OAuth2 / OpenID Connect provider"): discovery, JWKS,
/// authorize (login form), token, introspection, revocation, userinfo,
/// logout, and the admin API for clients and signing keys. Translation
/// only — auth/oauth2/provider decides. 404 while oauth2.enabled is off.

namespace themis {

class route_registry;

void register_oauth2_routes(route_registry& reg);

} // namespace themis
