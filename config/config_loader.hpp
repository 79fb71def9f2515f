#pragma once
/// Builds the server configuration: embedded defaults, then the YAML file
/// (--config, THEMIS_CONFIG, else the first of ./themisd.yaml and
/// /etc/themisd/themisd.yaml that exists), then THEMIS_* environment
/// variables, then command-line flags. Any unknown key, wrong type or bad
/// value is a one-line error naming the key (and file:line for the file);
/// the caller exits with code 2. `themisd --check-config` prints the
/// effective configuration with each value's source and exits.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "themis/server_config.hpp"

namespace themis {

struct load_outcome {
  server_config config;
  int exit_code = -1;  ///< >= 0: exit now with this code (help, version, error)
  std::string message; ///< printed before exiting (stdout for 0, stderr else)
  /// The YAML file read ("" when none) and how it was chosen.
  std::string config_file;
  /// Where each key's value came from: "file PATH:LINE", "env NAME",
  /// "flag --NAME" or "flag --set"; keys not listed have their default.
  std::map<std::string, std::string> sources;
};

/// Where a configuration file is looked for when neither --config nor
/// THEMIS_CONFIG names one: the first that exists is read.
std::vector<std::string> default_config_paths();

/// `env` holds "NAME=VALUE" entries (pass `environ`), so tests can inject;
/// `search` replaces default_config_paths() (tests).
load_outcome load_config(int argc, const char* const* argv,
                         const char* const* env, const char* version,
                         const std::vector<std::string>* search = nullptr);

/// The environment twin of a key: THEMIS_HTTP_PORT for http.port (a few
/// keys also have short twins, e.g. THEMIS_DATA_DIR).
std::string env_name(const std::string& key);

/// Applies one `section.key` = value (YAML scalar, env value or --set).
/// Returns an error message naming the key, or nullopt.
std::optional<std::string> apply_setting(server_config& cfg,
                                         const std::string& key,
                                         const std::string& value);

/// Parses YAML text into `cfg`; returns an error message (starting with
/// `origin:LINE:` where the text has a line) or nullopt. Records in
/// `sources` (when given) "file origin:LINE" for each key set.
std::optional<std::string>
apply_yaml(server_config& cfg, const std::string& text,
           const std::string& origin,
           std::map<std::string, std::string>* sources = nullptr);

/// Checks cross-field rules and creates the data directory.
std::optional<std::string> validate_config(server_config& cfg);

/// The effective configuration as YAML, each value followed by its source
/// (`# default`, `# file themisd.yaml:12`, `# env THEMIS_HTTP_PORT`,
/// `# flag --http-port`); secrets are masked.
std::string describe_config(const load_outcome& o);

/// The keys whose values differ between `a` and `b`, sorted.
std::vector<std::string> changed_keys(const server_config& a,
                                      const server_config& b);

/// THEMIS_* names in `env` that configure nothing (a typo such as
/// THEMIS_HTTP_PROT), each with the closest known name when there is one.
std::vector<std::string> unknown_env_warnings(const char* const* env);

} // namespace themis
