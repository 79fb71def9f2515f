#pragma once
/// Login challenges for USB admin keys (issue 24): random nonces, each
/// bound to the key it was issued for, valid `ttl_s` and usable once (a
/// replayed or expired nonce is refused even with a good signature).
/// Bounded: at most `max_outstanding` nonces live (the oldest expire
/// first); each client address gets `per_client_per_min` challenges a
/// minute and all clients together `global_per_min`, which also bounds
/// the per-client table (a flood from many addresses cannot grow it).
/// Thread-safe; time is passed in, so tests drive it.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/usb_admin/window_counter.hpp"

namespace themis::auth::usb_admin {

struct challenge_limits {
  uint32_t ttl_s = 60;
  size_t max_outstanding = 1024;
  uint32_t per_client_per_min = 10;
  uint32_t global_per_min = 600;
};

class challenge_store {
public:
  explicit challenge_store(challenge_limits lim = {}) :
    lim_(lim), asked_(60, lim.global_per_min) {}

  /// A fresh nonce (43 base64url characters, 256 random bits) for
  /// `key_fp` asked by `client`; nullopt when the client, or everyone
  /// together, is over the rate.
  std::optional<std::string> issue(const std::string& key_fp,
                                   const std::string& client, int64_t now_s);

  /// The key a nonce was issued for, once; nullopt when unknown, used or
  /// expired.
  std::optional<std::string> consume(const std::string& nonce, int64_t now_s);

  size_t outstanding() const;
  /// Client addresses tracked by the rate limit (bounded by
  /// global_per_min).
  size_t tracked_clients() const;
  uint32_t ttl_s() const { return lim_.ttl_s; }

private:
  struct entry {
    std::string key_fp;
    int64_t expires_s;
  };
  void expire(int64_t now_s);

  challenge_limits lim_;
  mutable std::mutex mu_;
  std::map<std::string, entry> nonces_;
  std::deque<std::pair<int64_t, std::string>> order_; ///< (expiry, nonce)
  window_counter asked_;                              ///< client → times
};

} // namespace themis::auth::usb_admin
