#pragma once
/// Rate limiting by registry group (issue 22, docs/overload.md): the
/// operation a request reaches names a rate group (route_op::rate_group:
/// "query", "admin", "bulk", "default"); `rate_limiting.groups` gives a
/// group a limit per client, checked after the prefix rules. Counted per
/// group and outcome for /metrics.

#include <optional>
#include <string>
#include <string_view>

#include "limits/rate_limiter.hpp"

namespace themis {

class metrics_registry;

/// The group limit of the operation `method path` reaches, for this
/// client; nullopt when no group has a limit (no route lookup then), the
/// path has no operation, or its group has none. Counts the outcome.
std::optional<limits::check_result>
rate_group_check(limits::rate_limiter& limiter, std::string_view method,
                 std::string_view path, std::string_view peer,
                 std::string_view token, int64_t now_ns);

/// The rate group of the operation `method path` reaches when
/// `rate_limiting.groups` is set (issue 25: the Redis backend asks for its
/// bucket itself); nullopt otherwise.
std::optional<std::string> rate_group_of(const limits::rate_limiter& limiter,
                                         std::string_view method,
                                         std::string_view path);
/// Counts a group decision made elsewhere (the Redis backend).
void count_rate_group(const std::string& group, bool refused);

/// themis_rate_group_requests_total{group, outcome="allowed"|"refused"}.
void add_rate_group_collector(metrics_registry& m);

} // namespace themis
