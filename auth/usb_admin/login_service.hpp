#pragma once
/// USB admin login (issue 24), protocol-neutral: challenge → signed nonce
/// → a short-lived admin JWT. The HTTP handlers (handlers/usb_admin_*)
/// only translate; this decides, rate-limits failures per client address
/// and says what the audit log must record.
///
/// Tokens are ES256 JWTs signed by a key generated at start and held only
/// in memory (issuer `urn:themis:usb-admin`): a restart ends every USB
/// admin session, and no key file can leak. The authenticator accepts
/// them through verify_token(), which also requires the enrolling key to
/// still be enrolled, so removing a key ends its sessions at once.
/// Thread-safe; no CAF.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"
#include "auth/usb_admin/challenge_store.hpp"
#include "auth/usb_admin/key_store.hpp"
#include "auth/usb_admin/window_counter.hpp"

namespace themis::auth::oauth2 {
class signing_key;
}

namespace themis::auth::usb_admin {

struct login_config {
  uint32_t token_ttl_s = 300;
  uint32_t challenge_ttl_s = 60;
  uint32_t challenges_per_min = 10;  ///< per client address
  uint32_t max_failures_per_min = 5; ///< per client address, then 429
  std::string removable = "off";     ///< off | warn | require
  std::string sysfs_root = "/sys";
  std::string scope_claim = "scope"; ///< auth.scope_claim
};

/// What an endpoint answers, and what the audit log records.
struct usb_answer {
  int status = 200;
  nlohmann::json body;
  uint32_t retry_after_s = 0; ///< 429
  std::string audit_action;   ///< empty: nothing to record
  std::string audit_outcome;  ///< ok | denied
  std::string audit_user;
  std::string audit_detail;
};

class login_service {
public:
  static constexpr const char* issuer = "urn:themis:usb-admin";

  /// Null with `error` when the signing key cannot be generated or a
  /// setting is invalid.
  static std::unique_ptr<login_service>
  create(login_config cfg, const std::filesystem::path& data_dir,
         std::string& error);
  login_service(login_config cfg, const std::filesystem::path& data_dir,
                std::shared_ptr<oauth2::signing_key> key);
  ~login_service();

  /// {"key_id": fingerprint} → {"nonce", "expires_in", "message"}.
  usb_answer challenge(const nlohmann::json& body, const std::string& client,
                       int64_t now_s);
  /// {"key_id", "nonce", "signature" (base64url), "device"?} → an access
  /// token {"access_token", "token_type", "expires_in", "scope"}.
  usb_answer login(const nlohmann::json& body, const std::string& client,
                   int64_t now_s);

  /// The claims of a token this service issued, or nullopt with `error`;
  /// `mine` false when the token is not one of its (another verifier
  /// should look at it).
  std::optional<nlohmann::json> verify_token(std::string_view token,
                                             int64_t now_s, std::string& error,
                                             bool& mine);

  key_store& keys() { return keys_; }
  const login_config& config() const { return cfg_; }

private:
  usb_answer refuse(int status, const std::string& message,
                    const std::string& client, int64_t now_s,
                    const std::string& user, const std::string& detail);
  bool blocked(const std::string& client, int64_t now_s);

  login_config cfg_;
  key_store keys_;
  challenge_store challenges_;
  std::mutex fail_mu_;
  window_counter failures_; ///< client address → failed attempts
  std::shared_ptr<oauth2::signing_key> key_;
  jwks verify_keys_;
  jwt_policy policy_;
};

} // namespace themis::auth::usb_admin
