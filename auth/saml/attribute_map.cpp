#include "auth/saml/attribute_map.hpp"

#include <algorithm>
#include <sstream>

namespace themis::auth::saml {

namespace {

/// The first non-empty value of `name`, or nullptr.
const std::string*
first_value(const std::map<std::string, std::vector<std::string>>& a,
            const std::string& name) {
  auto it = a.find(name);
  if (it == a.end())
    return nullptr;
  for (auto& v : it->second)
    if (!v.empty())
      return &v;
  return nullptr;
}

void add_scope(std::vector<std::string>& out, const std::string& s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end())
    out.push_back(s);
}

} // namespace

std::optional<attribute_map> attribute_map::create(const saml_section& cfg,
                                                   std::string& error) {
  attribute_map m;
  m.user_attr_ = cfg.user_attribute;
  m.tenant_attr_ = cfg.tenant_attribute;
  m.default_tenant_ = cfg.default_tenant;
  m.scope_attr_ = cfg.scope_attribute;
  m.default_scopes_ = cfg.default_scopes;
  m.required_ = cfg.required_attributes;
  if (!m.default_tenant_.empty() && !valid_tenant_id(m.default_tenant_)) {
    error =
      "saml.default_tenant '" + m.default_tenant_ + "' is not a tenant id";
    return std::nullopt;
  }
  for (auto& entry : cfg.scope_map) {
    auto eq = entry.find('=');
    if (eq == 0 || eq == std::string::npos) {
      error = "saml.scope_map entry '" + entry + "': expected VALUE=scope…";
      return std::nullopt;
    }
    auto& scopes = m.scope_map_[entry.substr(0, eq)];
    std::istringstream ss(entry.substr(eq + 1));
    for (std::string s; ss >> s;)
      add_scope(scopes, s);
  }
  if (!m.scope_map_.empty() && m.scope_attr_.empty()) {
    error = "saml.scope_map needs saml.scope_attribute";
    return std::nullopt;
  }
  return m;
}

std::optional<principal> attribute_map::map(
  const std::string& name_id,
  const std::map<std::string, std::vector<std::string>>& attributes,
  std::string& error) const {
  for (auto& r : required_)
    if (!first_value(attributes, r)) {
      error = "the assertion lacks the required attribute '" + r + "'";
      return std::nullopt;
    }
  principal p;
  p.via = "saml";
  if (user_attr_.empty()) {
    p.user = name_id;
  } else if (auto* v = first_value(attributes, user_attr_)) {
    p.user = *v;
  } else {
    error = "the assertion lacks the user attribute '" + user_attr_ + "'";
    return std::nullopt;
  }
  if (p.user.empty() || p.user.size() > 256) {
    error = "the user name is empty or longer than 256 bytes";
    return std::nullopt;
  }
  p.tenant = default_tenant_;
  if (!tenant_attr_.empty()) {
    if (auto* v = first_value(attributes, tenant_attr_))
      p.tenant = *v;
    else if (default_tenant_.empty()) {
      error = "the assertion lacks the tenant attribute '" + tenant_attr_ + "'";
      return std::nullopt;
    }
  }
  if (!p.tenant.empty() && !valid_tenant_id(p.tenant)) {
    error = "the tenant '" + p.tenant.substr(0, 64) + "' is not a tenant id";
    return std::nullopt;
  }
  for (auto& s : default_scopes_)
    add_scope(p.scopes, s);
  if (!scope_attr_.empty())
    if (auto it = attributes.find(scope_attr_); it != attributes.end())
      for (auto& v : it->second)
        if (auto m = scope_map_.find(v); m != scope_map_.end())
          for (auto& s : m->second)
            add_scope(p.scopes, s);
  return p;
}

} // namespace themis::auth::saml
