#pragma once
/// Tenant namespaces for handlers (issue 9): a tenant's principal names
/// collections as everyone does ("orders"); the engine stores them as
/// "tenant.orders". Handlers map names in with `stored_collection` and
/// out with `shown_collection`, so no response, error or event shows — and
/// no request can reach — another tenant's names.

#include <string>

#include "engine/names.hpp"
#include "themis/api_message.hpp"

namespace themis {

/// The engine's name of user-facing `name` for this request's principal;
/// "" if `name` is not a valid collection name (dotted names included).
inline std::string stored_collection(const api_request& req,
                                     const std::string& name) {
  if (!engine::valid_collection_name(name))
    return {};
  return tenant_collection(req.who.tenant, name);
}

/// The name this request's principal knows `stored` by ("" if it is not
/// in its namespace). A global admin also sees tenants' collections under
/// their stored names.
inline std::string shown_collection(const api_request& req,
                                    const std::string& stored) {
  return visible_collection(req.who.tenant, stored,
                            req.who.tenant.empty() && req.who.is_admin());
}

} // namespace themis
