#include "auth/usb_admin/challenge_store.hpp"

#include <openssl/rand.h>

#include "themis/base64.hpp"

namespace themis::auth::usb_admin {

void challenge_store::expire(int64_t now_s) {
  while (!order_.empty() && (order_.front().first <= now_s ||
                             nonces_.size() > lim_.max_outstanding)) {
    nonces_.erase(order_.front().second);
    order_.pop_front();
  }
}

std::optional<std::string> challenge_store::issue(const std::string& key_fp,
                                                  const std::string& client,
                                                  int64_t now_s) {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    return std::nullopt;
  std::string nonce = base64url_encode(
    std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  std::lock_guard lk(mu_);
  expire(now_s);
  if (!asked_.try_add(client, now_s, lim_.per_client_per_min))
    return std::nullopt;
  nonces_[nonce] = {key_fp, now_s + lim_.ttl_s};
  order_.emplace_back(now_s + lim_.ttl_s, nonce);
  expire(now_s); // over max_outstanding: the oldest go
  return nonce;
}

std::optional<std::string> challenge_store::consume(const std::string& nonce,
                                                    int64_t now_s) {
  std::lock_guard lk(mu_);
  expire(now_s);
  auto it = nonces_.find(nonce);
  if (it == nonces_.end())
    return std::nullopt;
  auto fp = std::move(it->second.key_fp);
  nonces_.erase(it); // single use, even when the signature then fails
  return fp;
}

size_t challenge_store::outstanding() const {
  std::lock_guard lk(mu_);
  return nonces_.size();
}

size_t challenge_store::tracked_clients() const {
  std::lock_guard lk(mu_);
  return asked_.keys();
}

} // namespace themis::auth::usb_admin
