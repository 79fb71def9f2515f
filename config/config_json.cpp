#include "config/config_json.hpp"

#include <nlohmann/json.hpp>

#include "config/config_settings.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

bool ends_with(const std::string& s, const char* suffix) {
  std::string t(suffix);
  return s.size() >= t.size() &&
         s.compare(s.size() - t.size(), t.size(), t) == 0;
}

/// A user list "user:password,…" with each password masked.
std::string mask_user_list(const std::string& users) {
  std::string out;
  size_t from = 0;
  while (from <= users.size()) {
    auto comma = users.find(',', from);
    auto entry = users.substr(
      from, comma == std::string::npos ? std::string::npos : comma - from);
    auto colon = entry.find(':');
    out += (out.empty() ? "" : ",") + entry.substr(0, colon) +
           (colon == std::string::npos ? "" : ":***");
    if (comma == std::string::npos)
      break;
    from = comma + 1;
  }
  return out;
}

/// "scheme://user:password@host…" → "scheme://user:***@host…".
std::string mask_url_password(std::string v) {
  auto scheme = v.find("://");
  if (scheme == std::string::npos)
    return v;
  auto at = v.find('@', scheme + 3);
  auto slash = v.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at))
    return v;
  auto colon = v.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at)
    return v;
  return v.replace(colon + 1, at - colon - 1, "***");
}

/// A YAML scalar as the JSON value it reads as.
json typed(const std::string& v) {
  if (v == "true" || v == "false")
    return v == "true";
  if (!v.empty() && v.size() < 19 &&
      v.find_first_not_of("0123456789") == std::string::npos &&
      (v.size() == 1 || v[0] != '0'))
    return std::stoll(v);
  return v;
}

json node_json(const std::string& key, const YAML::Node& n) {
  if (n.IsSequence()) {
    json arr = json::array();
    for (const auto& x : n)
      arr.push_back(node_json(key, x));
    return arr;
  }
  if (!n.IsScalar())
    return nullptr;
  auto v = n.as<std::string>();
  auto shown = redact_setting(key, v);
  return shown == v ? typed(v) : json(shown);
}

} // namespace

std::string redact_setting(const std::string& key, const std::string& value) {
  if (value.empty() || value == "true" || value == "false")
    return value;
  auto name = key.substr(key.find('.') + 1);
  if (name == "users")
    return mask_user_list(value);
  // credentials: named so, or headers sent to a collector or a CDN
  // (Authorization, Fastly-Key …)
  for (auto s : {"secret", "password", "token", "key", "headers"})
    if (ends_with(name, s))
      return "***";
  return mask_url_password(value);
}

std::string effective_config_json(const server_config& cfg) {
  json out = json::object();
  for (auto& [key, f] : config_detail::settings()) {
    auto dot = key.find('.');
    auto& section = out[key.substr(0, dot)];
    section[key.substr(dot + 1)] = f.get ? node_json(key, f.get(cfg)) : nullptr;
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace themis
