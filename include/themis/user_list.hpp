#pragma once
/// The "user:secret,user2:secret2" lists of the configuration (pg.users,
/// mqtt.users): the secret of one user, or nullopt if it is not listed.

#include <optional>
#include <string>

namespace themis {

inline std::optional<std::string> find_user_secret(const std::string& users,
                                                   const std::string& name) {
  size_t pos = 0;
  while (pos <= users.size()) {
    auto end = users.find(',', pos);
    if (end == std::string::npos)
      end = users.size();
    auto entry = users.substr(pos, end - pos);
    auto colon = entry.find(':');
    if (colon != std::string::npos && entry.substr(0, colon) == name)
      return entry.substr(colon + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

} // namespace themis
