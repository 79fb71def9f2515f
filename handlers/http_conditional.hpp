#pragma once
/// RFC 9110 §13 conditional requests, the parts a cache validator needs:
/// entity-tag lists (If-None-Match, weak comparison), HTTP-dates
/// (If-Modified-Since, Last-Modified) and a strong entity tag for a
/// computed body. Pure functions: handlers/cache_middleware.cpp applies
/// them, tests/unit/handlers/cache_test.cpp drives them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace themis {

/// Whether an If-None-Match field value matches `etag` (a quoted tag,
/// "W/" allowed): `*` matches any current representation; otherwise the
/// comma-separated list is compared weakly (§8.8.3.2: opaque tags equal,
/// W/ ignored on both sides). A malformed list matches nothing, so the
/// full answer is sent (the safe outcome).
bool if_none_match_matches(std::string_view field, std::string_view etag);

/// An HTTP-date in any of the three formats a recipient must accept
/// (§5.6.7: IMF-fixdate, RFC 850, asctime) as epoch seconds; nullopt when
/// it is not one (the field is then ignored, §13.1.3).
std::optional<int64_t> parse_http_date(std::string_view text);

/// A strong entity tag for a computed representation: a 64-bit hash of
/// the bytes (8 at a time, multiply-xorshift) and their length, quoted
/// ("h<16 hex>-<length hex>"). Not cryptographic: it tells versions of
/// one resource apart. The same body gives the same tag in every process,
/// so a CDN's stored validator stays good across restarts.
std::string body_etag(std::string_view body);

} // namespace themis
