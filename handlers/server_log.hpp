#pragma once
/// The server's two logs: the server log (spdlog's default logger,
/// "themisd") and the access log ("access", handlers/access_log.hpp). Both
/// go to standard error, to `log.file` (the access log to
/// `log.access_file` when set) or to the systemd journal (`log.journal`).
/// Files are reopened on SIGUSR1 (logrotate); the level and the access log
/// switch change at run time (SIGHUP, PUT /api/v1/admin/log-level).

#include <optional>
#include <string>
#include <string_view>

namespace themis {
struct log_section;
} // namespace themis

namespace themis::server_log {

/// Sets both logs up; an error text (a file that cannot be opened, the
/// journal asked for without libsystemd) leaves the stderr logger in place.
std::optional<std::string> start(const log_section& cfg);
/// Level, access switch and access format from a reloaded configuration
/// (the destinations stay until a restart).
void apply(const log_section& cfg);
/// Flushes and reopens the log files; the error, or nothing.
std::optional<std::string> reopen();
/// False when `level` is not trace|debug|info|warn|error|critical|off.
bool set_level(std::string_view level);
std::string level();
bool access_enabled();
void set_access(bool on);
std::string access_format();
/// Flushes both logs (before exit).
void flush();

} // namespace themis::server_log
