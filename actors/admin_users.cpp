#include "actors/admin_users.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "auth/authenticator.hpp"
#include "themis/user_list.hpp"

namespace themis {

std::string users_json(const server_config& cfg) {
  using json = nlohmann::json;
  struct row {
    std::set<std::string> protocols;
    std::string tenant;
    std::vector<std::string> scopes;
    bool mapped = false;
  };
  std::map<std::string, row> users;
  for (auto& [n, _] : parse_user_list(cfg.mqtt.users))
    users[n].protocols.insert("mqtt");
  for (auto& [n, _] : parse_user_list(cfg.pg.users))
    users[n].protocols.insert("postgresql");
  for (auto& entry : cfg.auth.principals) {
    std::string user, tenant, error;
    std::vector<std::string> scopes;
    if (!auth::parse_principal_entry(entry, user, tenant, scopes, error))
      continue; // refused at start or reload; not in effect
    auto& r = users[user];
    r.tenant = tenant;
    r.scopes = scopes;
    r.mapped = true;
    if (r.protocols.empty())
      r.protocols.insert("certificate"); // a client certificate's CN
  }
  json list = json::array();
  for (auto& [name, r] : users) {
    // a password user auth.principals does not name keeps the global
    // namespace and every scope (auth/authenticator.cpp for_user)
    auto scopes = r.mapped ? r.scopes : std::vector<std::string>{"admin"};
    list.push_back({{"name", name},
                    {"protocols", json(r.protocols)},
                    {"tenant", r.tenant},
                    {"scopes", scopes},
                    {"mapped", r.mapped}});
  }
  json out = {
    {"users", list},
    {"auth_required", cfg.auth.required},
    {"mqtt_anonymous", cfg.mqtt.allow_anonymous && !cfg.auth.required},
    {"pg_auth", cfg.pg.auth}};
  return out.dump();
}

} // namespace themis
