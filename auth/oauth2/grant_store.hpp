#pragma once
/// The provider's durable state in `auth.db` (beside API keys and the
/// audit log): authorization codes, refresh-token families, revoked
/// access-token ids, clients registered through the admin API, and the
/// signing keys. Only SHA-256 digests of codes and refresh tokens are
/// stored. Refresh tokens rotate on every use; a token presented a second
/// time means two parties hold it (RFC 9700 §4.14.2), so the whole family
/// — every token descended from that one login — is revoked, and with it
/// the access tokens it minted. No CAF: plain SQLite under a mutex.

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/sqlite_db.hpp"

namespace themis::auth::oauth2 {

/// What a code or refresh token stands for.
struct grant {
  std::string client_id;
  std::string user;
  std::string tenant;
  std::string scope; ///< space-separated, as granted
  std::string nonce; ///< for the ID token of a code exchange
  int64_t auth_time_s = 0;
};

struct code_grant : grant {
  std::string redirect_uri;
  std::string challenge; ///< PKCE; empty: none was sent
  std::string method;    ///< S256 or plain
};

enum class code_status { ok, unknown, expired, reused };
enum class refresh_status {
  ok,
  unknown,
  expired,
  reused,
  revoked,
  wrong_client
};

struct refresh_info {
  grant g;
  std::string family;
  int64_t expires_ms = 0;
  int64_t issued_ms = 0;
  bool active = false;
};

class grant_store {
public:
  /// Opens (creating tables in) `path`; ":memory:" for tests.
  grant_store(const std::string& path, int busy_timeout_ms);

  /// A new single-use code for `g`, valid until `expires_ms`.
  std::string issue_code(const code_grant& g, int64_t expires_ms);
  /// Consumes a code. A second use answers `reused` and revokes the
  /// family its first use started (RFC 6749 §4.1.2).
  code_status redeem_code(const std::string& code, int64_t now_ms,
                          code_grant& out);
  /// Records the family a redeemed code started.
  void bind_code_family(const std::string& code, const std::string& family);

  /// A new family (one login of one user at one client).
  std::string new_family(const grant& g, int64_t now_ms);
  std::string issue_refresh(const std::string& family, const grant& g,
                            int64_t now_ms, int64_t expires_ms);
  /// Exchanges `token` for a new one of the same family; `reused`
  /// revokes the family.
  refresh_status rotate_refresh(const std::string& token,
                                const std::string& client_id, int64_t now_ms,
                                int64_t ttl_ms, grant& out,
                                std::string& new_token, std::string& family);
  std::optional<refresh_info> inspect_refresh(const std::string& token,
                                              int64_t now_ms);
  void revoke_family(const std::string& family, const std::string& reason,
                     int64_t now_ms);
  /// Revokes every family of `user` at `client_id` (logout); how many.
  size_t revoke_user_client(const std::string& user,
                            const std::string& client_id, int64_t now_ms);
  bool family_revoked(const std::string& family) const;

  /// An access token's id revoked until it would expire anyway.
  void revoke_jti(const std::string& jti, int64_t exp_ms);
  bool jti_revoked(const std::string& jti) const;
  /// True the first time `key` is presented (a client assertion's jti),
  /// remembered until `exp_ms`.
  bool use_once(const std::string& key, int64_t exp_ms);

  /// Clients registered through the admin API (JSON records).
  void put_client(const std::string& id, const std::string& json);
  bool delete_client(const std::string& id);
  std::vector<std::string> clients();

  /// Signing keys, newest first.
  void put_key(const std::string& kid, const std::string& pem,
               int64_t created_ms);
  void delete_key(const std::string& kid);
  std::vector<std::pair<std::string, std::string>> keys();

  /// Drops expired codes, refresh tokens and revoked ids.
  void prune(int64_t now_ms);

  /// Stored digest of a secret (hex SHA-256).
  static std::string digest(const std::string& secret);
  /// 256 random bits, base64url.
  static std::string random_token();

private:
  void load_revocations();
  /// Both with mtx_ held: a refresh row (and the family's expiry), and a
  /// family marked revoked in the table and in memory.
  void insert_refresh(const std::string& token, const std::string& family,
                      const grant& g, int64_t now_ms, int64_t expires_ms);
  void mark_revoked(const std::string& family, const std::string& reason,
                    int64_t now_ms);

  mutable std::mutex mtx_;
  engine::sqlite_db db_;
  std::set<std::string> revoked_jti_;
  std::set<std::string> revoked_families_;
};

} // namespace themis::auth::oauth2
