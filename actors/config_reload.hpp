#pragma once
/// Configuration changes at run time (SIGHUP, issue 28). At start the
/// live settings (user lists, the MQTT ACL) are set from the loaded
/// configuration; a reload re-checks everything that can change safely
/// and applies all of it or nothing: a file with one bad entry is refused
/// and the running configuration stays. What changed, and what changed
/// but needs a restart, is logged.

#include <optional>
#include <string>
#include <vector>

#include "themis/server_config.hpp"

namespace themis {

struct server_context;

/// Reads the MQTT ACL (mqtt.acl and mqtt.acl_file) and sets ctx.live from
/// `cfg`. The error names the key; the caller exits 2.
std::optional<std::string> start_live_config(server_context& ctx,
                                             const server_config& cfg);

struct reload_report {
  bool applied = false;
  std::string error;                ///< why nothing was applied
  std::vector<std::string> changed; ///< "mqtt.users", "cors", …
  std::vector<std::string> restart; ///< changed keys that need a restart
};

/// Applies `fresh` (SIGHUP) and logs the outcome.
reload_report apply_reload(server_context& ctx, const server_config& fresh);

} // namespace themis
