#pragma once
/// Who is asking: one identity model for every protocol (issue 9). HTTP,
/// WebSocket, MQTT and PostgreSQL front-ends each turn their credentials
/// (a bearer JWT, an API key, a user name and password, a client
/// certificate) into a principal; handlers decide with it alone, so the
/// same token means the same rights everywhere.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace themis {

struct principal {
  std::string user;   ///< subject: JWT `sub`, key owner, user name
  std::string tenant; ///< "" : not bound to a tenant (global namespace)
  std::vector<std::string> scopes;
  /// How it was proven: jwt, api_key, password, certificate, anonymous
  /// (auth off: the open first-run server), or none (not authenticated).
  std::string via = "none";
  std::string key_id; ///< API key id when via == "api_key"

  bool authenticated() const { return via != "none"; }
  /// `admin` covers every scope; the open server (auth off) grants all.
  bool has_scope(std::string_view want) const {
    if (via == "anonymous")
      return true;
    return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& s) {
      return s == want || s == "admin";
    });
  }
  bool is_admin() const { return has_scope("admin"); }
  /// Whether `other` (an owner recorded earlier) is visible to this one:
  /// same tenant, and the same user unless this one is an admin.
  bool sees(std::string_view owner_user, std::string_view owner_tenant) const {
    if (via == "anonymous")
      return true;
    if (owner_tenant != tenant)
      return is_admin() && tenant.empty();
    return is_admin() || owner_user == user;
  }
  /// Name shown in logs and audit records.
  std::string display() const {
    std::string s = user.empty() ? std::string("-") : user;
    if (!tenant.empty())
      s += "@" + tenant;
    return s;
  }
};

/// Tenant ids: 1–32 of [a-z0-9-], starting with a letter or digit; they
/// prefix physical names (`acme.orders`), so they never contain '.'.
inline bool valid_tenant_id(std::string_view t) {
  if (t.empty() || t.size() > 32 || t[0] == '-')
    return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

/// The engine's name for a tenant's collection: "tenant.name"; the global
/// namespace keeps plain names. User-facing names never contain '.', so
/// no request can spell another tenant's collection.
inline std::string tenant_collection(std::string_view tenant,
                                     std::string_view name) {
  if (tenant.empty())
    return std::string(name);
  std::string s(tenant);
  s += '.';
  s += name;
  return s;
}

/// The user-facing name of physical collection `phys` for `tenant`, or ""
/// when it is not that tenant's (a global principal sees plain names and,
/// if `all` is set, everyone's under their physical names).
inline std::string visible_collection(std::string_view tenant,
                                      std::string_view phys, bool all = false) {
  auto dot = phys.find('.');
  if (tenant.empty()) {
    if (dot == std::string_view::npos || all)
      return std::string(phys);
    return {};
  }
  if (dot == std::string_view::npos || phys.substr(0, dot) != tenant)
    return {};
  return std::string(phys.substr(dot + 1));
}

/// Removes `tenant.` where it starts a word of `text` (an error message
/// about the tenant's own stored names, shown with its local names).
inline void strip_tenant_prefix(std::string& text, std::string_view tenant) {
  if (tenant.empty())
    return;
  std::string prefix(tenant);
  prefix += '.';
  for (size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at)) {
    auto c = at ? static_cast<unsigned char>(text[at - 1]) : ' ';
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (word) {
      at += prefix.size();
      continue;
    }
    text.erase(at, prefix.size());
  }
}

} // namespace themis
