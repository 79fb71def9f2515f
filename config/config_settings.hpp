#pragma once
/// The table of every configuration key (config_settings.cpp): how each is
/// set from text (YAML scalar, environment value or --set) and read back
/// for --check-config. Internal to the config library.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

#include "themis/server_config.hpp"

namespace themis::config_detail {

using setter =
  std::function<std::optional<std::string>(server_config&, const std::string&)>;
/// The value in effect, for --check-config.
using getter = std::function<YAML::Node(const server_config&)>;

/// One configuration key: how to set it from text and how to read it back.
struct field {
  setter set;
  getter get;
  field(setter s, getter g) : set(std::move(s)), get(std::move(g)) {}
  /// A bare setter (its value is shown as unknown by --check-config).
  template <class F, class = std::enable_if_t<std::is_invocable_v<
                       F&, server_config&, const std::string&>>>
  field(F f) : set(std::move(f)) {}
  std::optional<std::string> operator()(server_config& c,
                                        const std::string& v) const {
    return set(c, v);
  }
};

/// Every key, "section.key" → field.
const std::map<std::string, field>& settings();

} // namespace themis::config_detail
