#include "auth/saml/replay_cache.hpp"

namespace themis::auth::saml {

void replay_cache::sweep(int64_t now_s) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_s) {
    auto it = until_.find(by_expiry_.begin()->second);
    if (it != until_.end() && it->second <= now_s)
      until_.erase(it);
    by_expiry_.erase(by_expiry_.begin());
  }
}

replay_status replay_cache::use(const std::string& id, int64_t until_s,
                                int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  if (until_.count(id))
    return replay_status::replayed;
  if (until_.size() >= max_)
    return replay_status::full;
  until_.emplace(id, until_s);
  by_expiry_.emplace(until_s, id);
  return replay_status::fresh;
}

bool replay_cache::seen(const std::string& id, int64_t now_s) {
  std::lock_guard<std::mutex> g(mtx_);
  sweep(now_s);
  return until_.count(id) != 0;
}

size_t replay_cache::size() const {
  std::lock_guard<std::mutex> g(mtx_);
  return until_.size();
}

} // namespace themis::auth::saml
