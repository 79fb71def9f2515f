#pragma once
/// Run-time parameters (GUCs) as PostgreSQL reads and prints them
/// (issue 36): values are checked and stored in the form SHOW prints
/// (`statement_timeout` 3000 → "3s"), and the startup packet's `options`
/// (`-c key=value`, `--key=value`) are split as the postmaster splits them.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace themis::pg_settings {

/// The lower-case name PostgreSQL keys a parameter by.
std::string key(std::string name);

/// `value` for `name` as SHOW prints it; throws sql_error 22023 when
/// PostgreSQL would refuse it. `current` is the value now (DateStyle keeps
/// the half that is not given).
std::string normalize(const std::string& name, const std::string& value,
                      const std::string& current = {});

/// Milliseconds of a timeout as stored ("3s" → 3000; "0" → 0).
int64_t timeout_ms(const std::string& shown);

/// The `options` startup parameter: `-c a=b --c=d -c x=y\ z`. Throws
/// sql_error 22023 for anything else.
std::vector<std::pair<std::string, std::string>>
parse_options(const std::string& options);

} // namespace themis::pg_settings
