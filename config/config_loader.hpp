#pragma once
/// Builds the server configuration: embedded defaults, then the YAML file
/// (--config / THEMIS_CONFIG), then THEMIS_* environment variables, then
/// command-line flags. Any unknown key, wrong type or bad value is a
/// one-line error naming the key; the caller exits with code 2.

#include <optional>
#include <string>
#include <vector>

#include "themis/server_config.hpp"

namespace themis {

struct load_outcome {
  server_config config;
  int exit_code = -1;  ///< >= 0: exit now with this code (help, version, error)
  std::string message; ///< printed before exiting (stdout for 0, stderr else)
};

/// `env` holds "NAME=VALUE" entries (pass `environ`), so tests can inject.
load_outcome load_config(int argc, const char* const* argv,
                         const char* const* env, const char* version);

/// Applies one `section.key` = value (YAML scalar, env value or --set).
/// Returns an error message naming the key, or nullopt.
std::optional<std::string> apply_setting(server_config& cfg,
                                         const std::string& key,
                                         const std::string& value);

/// Parses YAML text into `cfg`; returns an error message or nullopt.
std::optional<std::string> apply_yaml(server_config& cfg,
                                      const std::string& text,
                                      const std::string& origin);

/// Checks cross-field rules and creates the data directory.
std::optional<std::string> validate_config(server_config& cfg);

} // namespace themis
