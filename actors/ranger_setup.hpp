#pragma once
/// Apache Ranger at start-up (issue 24): builds the enforcer and poller
/// from `auth.ranger.*` into the server context, loading the disk cache or
/// policy file before any listener opens.

namespace themis {

struct server_context;

/// 0, or the exit code after printing a config error.
int start_ranger(server_context& ctx);

} // namespace themis
