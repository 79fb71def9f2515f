#pragma once
/// Which Ranger resource and access type a REST request is (issue 24):
/// /v1/collections/{c}[/documents[/{key}]] → tenant/collection[/key] with
/// read (GET, HEAD) or write; the query routes → tenant with query.
/// Other routes are left to scopes alone (docs/security.md).

#include <optional>
#include <string>

#include "auth/ranger/ranger_enforcer.hpp"

namespace themis {

std::optional<auth::ranger::access_check>
ranger_rest_access(const std::string& method, const std::string& path,
                   const std::string& tenant);

} // namespace themis
