#pragma once
/// The enrolled USB admin keys (issue 24): a small JSON file in the data
/// directory, `<data_dir>/usb-admin-keys.json`, written by
/// `themisd admin enroll-usb-key` (server running or not) and by the
/// admin API. Writers take an flock on `usb-admin-keys.lock` and replace
/// the file atomically (temp file + fsync + rename), so the CLI and the
/// server never see half a file; readers re-read it when its
/// modification time or size changes. At most `max_keys` keys, each a
/// public key admin_key accepts. Thread-safe; no CAF.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/usb_admin/admin_key.hpp"

namespace themis::auth::usb_admin {

struct enrolled_key {
  std::string id; ///< the key's fingerprint (SHA-256 of its DER, hex)
  std::string name;
  std::string type; ///< ed25519 | p256
  std::string public_pem;
  int64_t created_ms = 0;
};

class key_store {
public:
  static constexpr size_t max_keys = 64;

  explicit key_store(std::filesystem::path data_dir);
  static std::filesystem::path file_in(const std::filesystem::path& dir);

  /// The keys now (re-read if the file changed; a file that no longer
  /// parses enrolls nobody until it is fixed, and sets `error`).
  std::vector<enrolled_key> list(std::string* error = nullptr);
  /// Whether `id` is enrolled (a stat of the file, no key parsing: asked
  /// on every request that carries a USB admin token).
  bool contains(const std::string& id);
  /// The key with id `id`, parsed for verification.
  std::optional<admin_key> find(const std::string& id, enrolled_key* meta);
  /// Enrolls a PEM public key under `name` (1–64 of [A-Za-z0-9._@-];
  /// empty: "usb-" + the id's first 12 digits). False with `error` and
  /// `status` (400 bad key or name, 409 already enrolled or name taken,
  /// 507 full, 500 I/O).
  bool add(const std::string& pem, std::string name, int64_t now_ms,
           enrolled_key& out, std::string& error, int& status);
  /// Removes by id or name; false when none matches (or on I/O error,
  /// with `error`).
  bool remove(const std::string& id_or_name, enrolled_key& out,
              std::string& error);

  static bool valid_name(const std::string& name);

private:
  bool reload_locked(std::string* error);
  bool write_locked(const std::vector<enrolled_key>& keys, std::string& error);

  std::filesystem::path file_, lock_;
  std::mutex mu_;
  std::vector<enrolled_key> keys_;
  std::filesystem::file_time_type mtime_{};
  uintmax_t size_ = static_cast<uintmax_t>(-1);
  bool loaded_ = false;
  std::string broken_; ///< why the file in place does not parse ("" : it does)
};

} // namespace themis::auth::usb_admin
