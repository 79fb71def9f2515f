#include "engine/graphql/error.hpp"

namespace themis::graphql {

nlohmann::json error::to_json() const {
  nlohmann::json j = {{"message", message}};
  if (!locations.empty()) {
    auto& locs = j["locations"] = nlohmann::json::array();
    for (const auto& l : locations)
      locs.push_back({{"line", l.line}, {"column", l.column}});
  }
  if (path.is_array())
    j["path"] = path;
  if (!code.empty())
    j["extensions"] = {{"code", code}};
  return j;
}

nlohmann::json errors_to_json(const std::vector<error>& errs) {
  auto a = nlohmann::json::array();
  for (const auto& e : errs)
    a.push_back(e.to_json());
  return a;
}

} // namespace themis::graphql
