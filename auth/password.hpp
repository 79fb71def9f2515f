#pragma once
/// Stored secrets for user names in config (`mqtt.users`): PBKDF2-SHA256
/// hashes in the format Django and passlib write,
/// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, so no password has
/// to sit in a config file in plain text. A plain stored value still
/// works (compared in constant time) for development setups.

#include <cstdint>
#include <string>
#include <string_view>

namespace themis::auth {

/// A new hash of `password` with a random salt.
std::string hash_password(std::string_view password,
                          uint32_t iterations = 100000);

/// Whether `given` matches `stored` (a hash as above, or plain text).
/// Successful checks of a hash are remembered (keyed by a digest of both)
/// so a reconnect storm of devices does not cost a PBKDF2 run each.
bool check_password(std::string_view stored, std::string_view given);

/// Whether `stored` is a hash (not plain text).
bool is_password_hash(std::string_view stored);

} // namespace themis::auth
