#pragma once
/// Which authentication method a PostgreSQL connection gets, by user and
/// client address (issue 24), like the host lines of pg_hba.conf:
/// `pg.auth_rules` lines "METHOD [user=NAME] [host=ADDR[/BITS]]", the
/// first whose user and host match decides; none matching: `pg.auth`.
/// Methods: trust, password, md5, scram-sha-256, gss. Pure.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/pgwire/pg_session.hpp"

namespace themis::pgwire {

/// "scram-sha-256" → auth_method::scram_sha_256 …; nullopt when unknown.
std::optional<auth_method> parse_auth_method(std::string_view name);

struct pg_auth_rule {
  auth_method method = auth_method::scram_sha_256;
  std::string user; ///< "" : any user
  bool any_host = true;
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  int bits = 0; ///< prefix length
};

class pg_auth_rules {
public:
  /// Nullopt with `error` when a line is malformed.
  static std::optional<pg_auth_rules>
  parse(const std::vector<std::string>& lines, std::string& error);

  /// The first matching rule's method; `remote` is "addr:port" or "addr".
  std::optional<auth_method> method_for(const std::string& user,
                                        std::string_view remote) const;
  /// Whether any rule selects `m`.
  bool uses(auth_method m) const;
  bool empty() const { return rules_.empty(); }

  static constexpr size_t max_rules = 256;

private:
  std::vector<pg_auth_rule> rules_;
};

/// Whether `pg.auth` or a `pg.auth_rules` line selects gss (then the
/// keytab must hold the PostgreSQL service's key).
bool selects_gss(std::string_view default_method,
                 const std::vector<std::string>& rules);

} // namespace themis::pgwire
