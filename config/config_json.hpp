#pragma once
/// The effective configuration as JSON for GET /api/v1/admin/config
/// (issue 22): every key of the settings table under its section, typed
/// (numbers, booleans, strings), with secrets redacted to "***".

#include <string>

#include "themis/server_config.hpp"

namespace themis {

/// `{"http": {"port": 8080, …}, …}` as JSON text.
std::string effective_config_json(const server_config& cfg);

/// `value` of `key` as it may be shown: "***" for secrets (names ending in
/// secret, password, token or key, headers that carry credentials), the
/// passwords of user lists masked ("alice:***"), and the password of a
/// URL's user info ("https://u:***@host"). Empty values stay empty.
std::string redact_setting(const std::string& key, const std::string& value);

} // namespace themis
