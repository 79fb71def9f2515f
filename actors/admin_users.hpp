#pragma once
/// The password and certificate principals the configuration defines
/// (mqtt.users, pg.users, auth.principals) as JSON for
/// GET /api/v1/admin/users and `themisctl users` (issue 28): names,
/// protocols, tenant and scopes, never a secret.

#include <string>

#include "themis/server_config.hpp"

namespace themis {

std::string users_json(const server_config& cfg);

} // namespace themis
