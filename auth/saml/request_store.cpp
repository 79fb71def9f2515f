#include "auth/saml/request_store.hpp"

namespace themis::auth::saml {

void request_store::sweep(int64_t now_s) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_s) {
    auto it = by_id_.find(by_expiry_.begin()->second);
    if (it != by_id_.end() && it->second.expires_s <= now_s)
      by_id_.erase(it);
    by_expiry_.erase(by_expiry_.begin());
  }
}

bool request_store::add(const std::string& id, pending_request p,
                        int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  if (by_id_.size() >= max_ || by_id_.count(id))
    return false;
  p.expires_s = now_s + ttl_s_;
  by_expiry_.emplace(p.expires_s, id);
  by_id_.emplace(id, std::move(p));
  return true;
}

std::optional<pending_request> request_store::take(const std::string& id,
                                                   int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  auto p = std::move(it->second);
  by_id_.erase(it); // its by_expiry_ entry goes at the next sweep
  return p;
}

size_t request_store::size() const {
  std::lock_guard<std::mutex> g(mtx_);
  return by_id_.size();
}

} // namespace themis::auth::saml
