#pragma once
/// Boots and stops the whole server: engine, actor system and supervision
/// tree, listeners and I/O threads; drains on SIGTERM/SIGINT.

#include <functional>
#include <optional>
#include <string>

#include "themis/server_config.hpp"

namespace themis {

/// Runs until a termination signal (exit 0 after draining; 3 when the
/// drain deadline forced connections closed) or a fatal error: 1 for a
/// runtime failure, 2 for an unusable configuration (port, data directory).
/// `reload` re-reads the configuration (SIGHUP): a new config, or nullopt
/// with the error in its argument.
using config_reloader =
  std::function<std::optional<server_config>(std::string& error)>;

int run_server(const server_config& cfg, const char* version,
               config_reloader reload = {});

} // namespace themis
