#pragma once
/// Kerberos principal → themisd user (issue 24). `auth.kerberos.realms`
/// lists the realms whose principals may sign in, each with the tenant and
/// default scopes its users get ("EXAMPLE.COM tenant=acme scope=data:read").
/// A principal of a realm no rule names is refused: a KDC trusting another
/// realm (cross-realm) must not let that realm's users in by accident.
/// Pure: no GSSAPI, callable from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::auth::kerberos {

struct realm_rule {
  std::string realm;
  std::string tenant; ///< "" : the user's auth.principals entry decides
  std::vector<std::string> scopes;
  /// `instances=allow`: "alice/admin@R" signs in as user "alice/admin";
  /// otherwise a principal with an instance (a service) is refused.
  bool allow_instances = false;
  /// `local=yes`: "alice@R" signs in as the local user "alice" (her
  /// auth.principals entry). Default: yes for the first rule (the default
  /// realm), no for the others, whose users keep "@R" in their user name so
  /// that another realm's alice never gets the local alice's scopes, jobs
  /// or policies.
  bool local = false;
};

struct mapped_principal {
  std::string user;  ///< "alice" for a local realm, else "alice@REALM"
  std::string realm; ///< the rule's realm
  realm_rule rule;   ///< (a copy: the result outlives no map)
};

class realm_map {
public:
  /// Parses the rules; nullopt with `error` when one is malformed.
  static std::optional<realm_map> parse(const std::vector<std::string>& rules,
                                        std::string& error);

  /// "alice@EXAMPLE.COM" (GSSAPI's display form) → user "alice"; nullopt
  /// with `error` for an unknown realm, an instance without
  /// `instances=allow`, escapes, or a name too long or empty.
  std::optional<mapped_principal> map(std::string_view name,
                                      std::string& error) const;

  bool empty() const { return rules_.empty(); }
  const std::vector<realm_rule>& rules() const { return rules_; }

  /// Longest principal name accepted (bytes).
  static constexpr size_t max_name = 256;

private:
  std::vector<realm_rule> rules_;
};

} // namespace themis::auth::kerberos
