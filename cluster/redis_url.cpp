#include "cluster/redis_url.hpp"

#include <charconv>
#include <string_view>

#include "limits/limit_wire.hpp"

namespace themis::cluster {

namespace {

bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() &&
         out <= max;
}

} // namespace

std::string redis_url::display() const {
  auto h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port) + "/" + std::to_string(db);
}

std::optional<std::string> parse_redis_url(const std::string& text,
                                           redis_url& out) {
  out = redis_url{};
  std::string_view s = text;
  if (s.size() > 1024)
    return "a Redis URL is at most 1024 characters";
  if (s.rfind("redis://", 0) == 0) {
    s.remove_prefix(8);
  } else if (s.rfind("rediss://", 0) == 0) {
    return "rediss:// (TLS) is not supported: Debian 12's hiredis 0.14 has "
           "no TLS; use a local TLS tunnel (stunnel) and redis://";
  } else {
    return "expected redis://[user:pass@]host:port/db, got '" + text + "'";
  }
  // credentials end at the last '@' (a password may contain '@' encoded)
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    auto cred = s.substr(0, at);
    s.remove_prefix(at + 1);
    auto colon = cred.find(':');
    std::string_view user = colon == std::string_view::npos
                              ? std::string_view{}
                              : cred.substr(0, colon);
    std::string_view pass =
      colon == std::string_view::npos ? cred : cred.substr(colon + 1);
    if (!limits::percent_decode(user, out.user) ||
        !limits::percent_decode(pass, out.password))
      return "bad percent-encoding in the credentials of a Redis URL";
  }
  auto slash = s.find('/');
  auto hostport = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto db = s.substr(slash + 1);
    uint64_t n = 0;
    if (!db.empty() && !parse_uint(db, 1'000'000, n))
      return "a Redis URL's database is a number, got '" + std::string(db) +
             "'";
    out.db = static_cast<uint32_t>(n);
  }
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos)
      return "unclosed '[' in a Redis URL's host";
    host = hostport.substr(1, close - 1);
    auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':')
        return "expected ':port' after ']' in a Redis URL";
      port = rest.substr(1);
    }
  } else if (auto colon = hostport.rfind(':');
             colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty())
    return "a Redis URL needs a host, got '" + text + "'";
  if (host.find_first_of(" /@?#") != std::string_view::npos)
    return "bad host in a Redis URL: '" + std::string(host) + "'";
  out.host = std::string(host);
  if (!port.empty()) {
    uint64_t n = 0;
    if (!parse_uint(port, 65535, n) || n == 0)
      return "a Redis URL's port is 1-65535, got '" + std::string(port) + "'";
    out.port = static_cast<uint16_t>(n);
  }
  return std::nullopt;
}

} // namespace themis::cluster
