#include "auth/saml/session_registry.hpp"

namespace themis::auth::saml {

void session_registry::sweep(int64_t now_s) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_s)
    by_expiry_.erase(by_expiry_.begin());
}

void session_registry::add(const std::string& name_id,
                           const std::string& session_index,
                           const std::string& family, int64_t until_s,
                           int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  while (!by_expiry_.empty() && by_expiry_.size() >= max_)
    by_expiry_.erase(by_expiry_.begin());
  by_expiry_.emplace(until_s, entry{name_id, session_index, family, until_s});
}

std::vector<std::string>
session_registry::take(const std::string& name_id,
                       const std::string& session_index, int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  std::vector<std::string> out;
  // a linear scan: logouts are rare and the map is bounded
  for (auto it = by_expiry_.begin(); it != by_expiry_.end();) {
    auto& e = it->second;
    if (e.name_id == name_id &&
        (session_index.empty() || e.session_index == session_index)) {
      out.push_back(e.family);
      it = by_expiry_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void session_registry::forget(const std::string& family) {
  std::lock_guard<std::mutex> g(mtx_);
  for (auto it = by_expiry_.begin(); it != by_expiry_.end();)
    it = it->second.family == family ? by_expiry_.erase(it) : std::next(it);
}

size_t session_registry::size() const {
  std::lock_guard<std::mutex> g(mtx_);
  return by_expiry_.size();
}

} // namespace themis::auth::saml
