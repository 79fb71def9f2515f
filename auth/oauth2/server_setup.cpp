#include "auth/oauth2/server_setup.hpp"

#include "auth/password.hpp"
#include "themis/user_list.hpp"

namespace themis::auth::oauth2 {

std::unique_ptr<provider>
create_server_provider(const server_config& cfg, const std::string& db_path,
                       const std::shared_ptr<const authenticator>& authn,
                       std::string& error) {
  if (!cfg.oauth2.enabled)
    return nullptr;
  auto list = cfg.oauth2.users.empty() ? cfg.mqtt.users : cfg.oauth2.users;
  user_directory dir;
  dir.check = [list](const std::string& user, const std::string& password) {
    auto secret = find_user_secret(list, user);
    return secret && check_password(*secret, password);
  };
  dir.find = [list,
              authn](const std::string& user) -> std::optional<principal> {
    if (!find_user_secret(list, user))
      return std::nullopt;
    return authn->for_user(user);
  };
  if (list.empty())
    error = "oauth2.enabled needs sign-in users (oauth2.users or "
            "mqtt.users); client_credentials works without";
  std::string create_error;
  auto p = provider::create(
    cfg.oauth2, db_path, static_cast<int>(cfg.engine.busy_timeout_ms),
    std::move(dir), {cfg.auth.tenant_claim, cfg.auth.scope_claim},
    create_error);
  if (!p) {
    error = create_error;
    return nullptr;
  }
  authn->add_local_verifier([raw = p.get()](std::string_view token,
                                            int64_t now_s, std::string& err,
                                            bool& mine) {
    return raw->verify_access_token(token, now_s, err, mine);
  });
  return p;
}

} // namespace themis::auth::oauth2
