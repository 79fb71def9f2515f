#include "protocols/pgwire/pg_auth_rules.hpp"

#include <arpa/inet.h>

#include <sstream>

namespace themis::pgwire {

namespace {

/// An address as 4 or 16 bytes; an IPv4-mapped IPv6 address is IPv4.
bool parse_addr(std::string_view text, bool& v6, std::array<uint8_t, 16>& out) {
  std::string s(text);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1)
    return false;
  static constexpr uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                         0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(mapped, mapped + 12, out.begin())) {
    std::copy(out.begin() + 12, out.end(), out.begin());
    std::fill(out.begin() + 4, out.end(), 0);
    v6 = false;
    return true;
  }
  v6 = true;
  return true;
}

bool prefix_match(const std::array<uint8_t, 16>& a,
                  const std::array<uint8_t, 16>& b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask))
      return false;
  }
  return true;
}

} // namespace

std::optional<auth_method> parse_auth_method(std::string_view name) {
  if (name == "trust")
    return auth_method::trust;
  if (name == "password")
    return auth_method::password;
  if (name == "md5")
    return auth_method::md5;
  if (name == "scram-sha-256")
    return auth_method::scram_sha_256;
  if (name == "gss")
    return auth_method::gss;
  return std::nullopt;
}

std::optional<pg_auth_rules>
pg_auth_rules::parse(const std::vector<std::string>& lines,
                     std::string& error) {
  pg_auth_rules out;
  if (lines.size() > max_rules) {
    error = "pg.auth_rules: more than 256 rules";
    return std::nullopt;
  }
  for (auto& line : lines) {
    std::istringstream in(line);
    std::string word;
    pg_auth_rule r;
    in >> word;
    auto m = parse_auth_method(word);
    if (!m) {
      error = "pg.auth_rules: '" + line +
              "' does not start with trust|password|md5|scram-sha-256|gss";
      return std::nullopt;
    }
    r.method = *m;
    while (in >> word) {
      if (word.rfind("user=", 0) == 0 && word.size() > 5 && word.size() < 70) {
        r.user = word.substr(5);
      } else if (word.rfind("host=", 0) == 0) {
        auto spec = word.substr(5);
        auto slash = spec.find('/');
        if (!parse_addr(spec.substr(0, slash), r.v6, r.addr)) {
          error = "pg.auth_rules: '" + word + "' is not an address";
          return std::nullopt;
        }
        int max = r.v6 ? 128 : 32;
        r.bits = max;
        if (slash != std::string::npos) {
          auto b = spec.substr(slash + 1);
          if (b.empty() || b.size() > 3 ||
              b.find_first_not_of("0123456789") != std::string::npos ||
              std::stoi(b) > max) {
            error = "pg.auth_rules: bad prefix length in '" + word + "'";
            return std::nullopt;
          }
          r.bits = std::stoi(b);
        }
        r.any_host = false;
      } else {
        error = "pg.auth_rules: '" + word + "' (expected user=NAME or " +
                "host=ADDR[/BITS])";
        return std::nullopt;
      }
    }
    out.rules_.push_back(std::move(r));
  }
  return out;
}

std::optional<auth_method>
pg_auth_rules::method_for(const std::string& user,
                          std::string_view remote) const {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  // "[v6]:port", "v4:port" (the port after the last ':'), else a bare
  // address
  auto colon = remote.rfind(':');
  bool have_addr = false;
  if (!remote.empty() && remote.front() == '[') {
    auto close = remote.find(']');
    have_addr = close != std::string_view::npos &&
                parse_addr(remote.substr(1, close - 1), v6, addr);
  } else if (colon != std::string_view::npos) {
    have_addr = parse_addr(remote.substr(0, colon), v6, addr);
  }
  if (!have_addr)
    have_addr = parse_addr(remote, v6, addr);
  for (auto& r : rules_) {
    if (!r.user.empty() && r.user != user)
      continue;
    if (!r.any_host &&
        (!have_addr || r.v6 != v6 || !prefix_match(r.addr, addr, r.bits)))
      continue;
    return r.method;
  }
  return std::nullopt;
}

bool selects_gss(std::string_view default_method,
                 const std::vector<std::string>& rules) {
  if (default_method == "gss")
    return true;
  std::string error;
  auto r = pg_auth_rules::parse(rules, error);
  return r && r->uses(auth_method::gss);
}

bool pg_auth_rules::uses(auth_method m) const {
  for (auto& r : rules_)
    if (r.method == m)
      return true;
  return false;
}

} // namespace themis::pgwire
