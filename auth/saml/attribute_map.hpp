#pragma once
/// A verified assertion's NameID and attributes → a themisd principal
/// (user, tenant, scopes), by configuration (saml.user_attribute,
/// tenant_attribute, default_tenant, scope_attribute + scope_map,
/// default_scopes, required_attributes). IdP values become scopes only
/// through scope_map: a group name the IdP invents grants nothing.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "themis/principal.hpp"
#include "themis/server_config.hpp"

namespace themis::auth::saml {

class attribute_map {
public:
  /// Null with `error` when a scope_map entry is malformed.
  static std::optional<attribute_map> create(const saml_section& cfg,
                                             std::string& error);

  /// The principal (via "saml"), or nullopt with `error` naming the
  /// missing or unusable attribute (the caller answers 403).
  std::optional<principal>
  map(const std::string& name_id,
      const std::map<std::string, std::vector<std::string>>& attributes,
      std::string& error) const;

private:
  std::string user_attr_, tenant_attr_, default_tenant_, scope_attr_;
  std::map<std::string, std::vector<std::string>> scope_map_;
  std::vector<std::string> default_scopes_, required_;
};

} // namespace themis::auth::saml
