#pragma once
/// Which Ranger resources and access type a REST request is (issue 24).
/// Derived from the route the registry matches, not from a list of paths,
/// so a new data route is checked without being named here:
/// - the access type from the route's scope (data:read → read,
///   data:write → write, query and jobs → query, cdc:read → read,
///   admin → admin); a write that changes a collection itself (drop,
///   properties, indexes, schema, truncate, create) is `admin`;
/// - the collection from a `{c}`/`{collection}` capture, else the
///   request's `collection`/`collections` query parameters, else the JSON
///   body's `collection`, `table`, `vertex_collection`, `edge_collection`,
///   `collections` (or every NDJSON line's `_collection`); the key from a
///   `{key}` capture (or `{id}` under a collection); `/entities/{table:pk}`
///   split; the ArangoDB paths likewise;
/// - none found: the tenant itself, so only a tenant-wide grant allows it.
/// Routes that need no scope, or only "authenticated", are not asked.

#include <string>
#include <vector>

#include "auth/ranger/ranger_enforcer.hpp"
#include "themis/api_message.hpp"

namespace themis {

/// Every access the request needs; all must be allowed. Empty: Ranger is
/// not asked.
std::vector<auth::ranger::access_check>
ranger_rest_access(const api_request& req, const std::string& scope,
                   const std::string& tenant);

/// The Ranger access type of a themisd scope ("" : Ranger is not asked).
std::string ranger_access_of_scope(const std::string& scope);

} // namespace themis
