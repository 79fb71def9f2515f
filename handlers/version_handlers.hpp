#pragma once
/// Versioning (issue 22, docs/versioning.md): GET /api/v1/version, the
/// deprecation headers of a deprecated operation (RFC 9745 Deprecation,
/// RFC 8594 Sunset, Link rel="successor-version"), and the count of calls
/// to deprecated operations per principal, bounded.

#include <cstdint>
#include <string>
#include <vector>

#include "themis/api_message.hpp"

namespace themis {

struct route_context;
struct route_entry;
struct route_op;
class metrics_registry;

/// themisd's /v1/… paths: deprecated 2026-12-01T00:00:00Z, sunset
/// 2027-12-01T00:00:00Z (docs/versioning.md).
constexpr int64_t v1_deprecated_at = 1796083200;
constexpr int64_t v1_sunset_at = 1827619200;

/// GET /api/v1/version: server and API versions, deprecated prefixes.
void api_version_info(route_context& ctx);

/// The headers a deprecated `op` of `e` adds; `params` are the request's
/// captures (the successor's placeholders are filled from them).
header_list deprecation_headers(const route_entry& e, const route_op& op,
                                const std::vector<std::string>& params);

/// One call of a deprecated route by `principal` (at most
/// max_deprecation_principals distinct ones are told apart; the rest are
/// counted as "other").
void count_deprecated_call(const std::string& principal,
                           const std::string& route);
constexpr size_t max_deprecation_principals = 256;
/// How many principals the counter tells apart (for tests).
size_t deprecation_principals();

/// themis_deprecated_requests_total{principal,route} on every scrape of
/// `m` (registered once per registry).
void add_deprecation_collector(metrics_registry& m);

/// RFC 9110 IMF-fixdate of epoch seconds.
std::string http_date(int64_t epoch_s);

} // namespace themis
