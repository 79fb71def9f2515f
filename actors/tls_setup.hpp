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

/// Null with `error` set when a file or setting is bad.
std::shared_ptr<const tls::context> make_tls_context(const tls_section& cfg,
                                                     std::string& error);

} // namespace themis
