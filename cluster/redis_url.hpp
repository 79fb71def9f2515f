#pragma once
/// `redis://[user:pass@]host:port/db` as the rate limiter's Redis link
/// reads it (issue 25, docs/cluster.md). Pure: no sockets, no CAF.

#include <cstdint>
#include <optional>
#include <string>

namespace themis::cluster {

struct redis_url {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t db = 0;
  std::string user;     ///< ACL user (Redis 6+); empty: AUTH with password only
  std::string password; ///< empty: no AUTH
  bool tls = false;     ///< rediss:// (refused: no hiredis_ssl in Debian 12)
  /// "host:port/db" without credentials, for logs and /metrics.
  std::string display() const;
};

/// Parses a URL; returns an error message, or nullopt. Credentials may be
/// percent-encoded; an IPv6 host is written in brackets ("[::1]:6379").
std::optional<std::string> parse_redis_url(const std::string& text,
                                           redis_url& out);

} // namespace themis::cluster
