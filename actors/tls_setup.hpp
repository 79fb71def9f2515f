#pragma once
/// The TLS context from the `tls` configuration section (used at start
/// and on SIGHUP).

#include <memory>
#include <string>

#include "themis/server_config.hpp"

namespace themis {

namespace tls {
class context;
}

class tls_state;

/// Builds the contexts of every protocol into `out`; false with `error`
/// set (and `out` untouched) when a file or setting is bad.
bool load_tls(const tls_section& cfg, tls_state& out, std::string& error);

} // namespace themis
