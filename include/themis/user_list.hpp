#pragma once
/// The "user:secret,user2:secret2" lists of the configuration (pg.users,
/// mqtt.users): the secret of one user, or nullopt if it is not listed.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace themis {

/// Every (user, secret) entry of the list, in order; entries without a
/// ':' or with an empty user are skipped.
inline std::vector<std::pair<std::string, std::string>>
parse_user_list(const std::string& users) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < users.size()) {
    auto end = users.find(',', pos);
    if (end == std::string::npos)
      end = users.size();
    auto entry = users.substr(pos, end - pos);
    auto colon = entry.find(':');
    if (colon != std::string::npos && colon > 0)
      out.emplace_back(entry.substr(0, colon), entry.substr(colon + 1));
    pos = end + 1;
  }
  return out;
}

inline std::optional<std::string> find_user_secret(const std::string& users,
                                                   const std::string& name) {
  for (auto& [user, secret] : parse_user_list(users))
    if (user == name)
      return secret;
  return std::nullopt;
}

} // namespace themis
