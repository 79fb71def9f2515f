#pragma once
/// API keys (issue 9): long random bearer secrets an admin creates for a
/// user and tenant with scopes and an expiry. Only a SHA-256 digest of the
/// secret is stored (`auth.db` beside the store); the whole token is shown
/// once, at creation. A key is `thk_<id>_<secret>`: the id finds the record
/// without a scan, the digest comparison is constant-time. Every check is
/// answered from memory; the table is the durable copy.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

struct api_key_record {
  std::string id; ///< 16 hex digits, public
  std::string name;
  std::string user;
  std::string tenant;
  std::vector<std::string> scopes;
  int64_t created_ms = 0;
  int64_t expires_ms = 0; ///< 0: never
  int64_t revoked_ms = 0; ///< 0: live
  std::string created_by;
  std::string digest; ///< hex SHA-256 of the secret part (never returned)
};

enum class api_key_check { ok, malformed, unknown, revoked, expired };

class api_key_store {
public:
  /// Opens (creating) `path`; loads every key into memory.
  api_key_store(const std::string& path, int busy_timeout_ms);

  /// A new key; `token` receives the whole secret (shown once).
  api_key_record create(api_key_record r, std::string& token, int64_t now_ms);
  /// All keys (live and revoked) of `tenant`, or of everyone when `all`.
  std::vector<api_key_record> list(const std::string& tenant, bool all) const;
  std::optional<api_key_record> get(const std::string& id) const;
  /// Renames a live key and/or replaces its scopes (a null argument keeps
  /// the field); durable before the in-memory copy changes, so a crash
  /// never leaves a check answered from scopes that were not stored.
  /// nullopt if unknown or revoked.
  std::optional<api_key_record>
  update(const std::string& id, const std::optional<std::string>& name,
         const std::optional<std::vector<std::string>>& scopes);
  /// A key another node created (issue 25: replicated through etcd):
  /// inserted when unknown, else its name, scopes, expiry and revocation
  /// follow the record (a revocation is never undone). An error when the
  /// id is taken by a different secret.
  std::optional<std::string> import(const api_key_record& r);
  /// Marks it revoked; false if unknown or already revoked.
  bool revoke(const std::string& id, int64_t now_ms);
  /// Checks a presented token; `out` is the key's record when ok.
  api_key_check verify(std::string_view token, int64_t now_ms,
                       api_key_record& out) const;

  /// A live (not revoked, not expired) key of the global namespace with
  /// the admin scope: someone can administer the server (bootstrap).
  std::optional<api_key_record> live_admin(int64_t now_ms) const;

  /// Whether `token` has the shape of an API key (not a JWT).
  static bool looks_like_key(std::string_view token) {
    return token.rfind("thk_", 0) == 0;
  }
  static std::string path_in(const std::string& data_dir);

private:
  mutable std::mutex db_mtx_;
  sqlite_db db_;
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, api_key_record> keys_;
};

} // namespace themis::engine
