#include "auth/kerberos/realm_map.hpp"

#include <sstream>

#include "themis/principal.hpp"

namespace themis::auth::kerberos {

namespace {

/// Realm names as KDCs spell them: letters, digits, '.', '-', '_'.
bool valid_realm(std::string_view r) {
  if (r.empty() || r.size() > 128)
    return false;
  for (char c : r)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

/// The user part becomes a principal's `user` (logs, owners, PG role
/// names): printable ASCII without separators that mean something there.
bool valid_user(std::string_view u, bool allow_slash) {
  if (u.empty() || u.size() > 128)
    return false;
  for (char c : u) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
              (allow_slash && c == '/');
    if (!ok)
      return false;
  }
  return true;
}

} // namespace

std::optional<realm_map> realm_map::parse(const std::vector<std::string>& rules,
                                          std::string& error) {
  realm_map m;
  for (auto& text : rules) {
    std::istringstream in(text);
    realm_rule r;
    std::string word;
    bool local_set = false;
    if (!(in >> r.realm) || !valid_realm(r.realm)) {
      error =
        "auth.kerberos.realms: '" + text + "' does not start with a realm";
      return std::nullopt;
    }
    while (in >> word) {
      auto eq = word.find('=');
      auto key = word.substr(0, eq);
      auto value =
        eq == std::string::npos ? std::string() : word.substr(eq + 1);
      if (key == "tenant" && valid_tenant_id(value)) {
        r.tenant = value;
      } else if (key == "scope" && !value.empty()) {
        r.scopes.push_back(value);
      } else if (key == "instances" && (value == "allow" || value == "deny")) {
        r.allow_instances = value == "allow";
      } else if (key == "local" && (value == "yes" || value == "no")) {
        r.local = value == "yes";
        local_set = true;
      } else {
        error = "auth.kerberos.realms: '" + word + "' in rule for " + r.realm +
                " (expected tenant=ID, scope=S, instances=allow|deny, "
                "local=yes|no)";
        return std::nullopt;
      }
    }
    // the first realm is the default realm (krb5's default auth_to_local):
    // its principals are local user names unless it says otherwise
    if (!local_set)
      r.local = m.rules_.empty();
    for (auto& o : m.rules_)
      if (o.realm == r.realm) {
        error = "auth.kerberos.realms: realm " + r.realm + " named twice";
        return std::nullopt;
      }
    m.rules_.push_back(std::move(r));
  }
  return m;
}

std::optional<mapped_principal> realm_map::map(std::string_view name,
                                               std::string& error) const {
  if (name.empty() || name.size() > max_name) {
    error = "Kerberos principal name empty or too long";
    return std::nullopt;
  }
  if (name.find('\\') != std::string_view::npos) {
    error = "Kerberos principal name with escapes refused";
    return std::nullopt;
  }
  auto at = name.rfind('@');
  if (at == std::string_view::npos || name.find('@') != at) {
    error = "Kerberos principal without a single realm";
    return std::nullopt;
  }
  auto user = name.substr(0, at);
  auto realm = name.substr(at + 1);
  for (auto& r : rules_) {
    if (r.realm != realm)
      continue;
    if (!r.allow_instances && user.find('/') != std::string_view::npos) {
      error = "Kerberos principal " + std::string(name) +
              " has an instance (a service principal)";
      return std::nullopt;
    }
    if (!valid_user(user, r.allow_instances)) {
      error = "Kerberos principal name not usable as a user name";
      return std::nullopt;
    }
    // another realm's alice is not the local alice: she keeps her realm in
    // the user name (auth.principals, ownership, audit, Ranger) unless the
    // rule says the realm's users are local ones
    std::string who(user);
    if (!r.local)
      who += "@" + r.realm;
    return mapped_principal{std::move(who), r.realm, r};
  }
  error = "realm " + std::string(realm) + " is not in auth.kerberos.realms";
  return std::nullopt;
}

} // namespace themis::auth::kerberos
