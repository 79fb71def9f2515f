#pragma once
/// A bounded map whose entries expire (the outstanding AuthnRequests and
/// the replay cache's assertion ids): an entry lives until its own
/// deadline; when the map is full of live entries, `put` refuses instead
/// of evicting one, because forgetting early is what an attacker wants
/// (a request id that stops being checked, an assertion id that can be
/// replayed). Expired entries go at every call, oldest deadline first.
/// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace themis::auth::saml {

enum class put_status { added, exists, full };

template <class V>
class expiring_map {
public:
  explicit expiring_map(size_t max_entries) : max_(max_entries) {}

  put_status put(const std::string& key, V value, int64_t until_s,
                 int64_t now_s) {
    std::lock_guard<std::mutex> g(mtx_);
    sweep(now_s);
    if (items_.count(key))
      return put_status::exists;
    if (items_.size() >= max_)
      return put_status::full;
    items_.emplace(key, std::make_pair(std::move(value), until_s));
    by_expiry_.emplace(until_s, key);
    return put_status::added;
  }

  /// Removes and returns the live entry `key`.
  std::optional<V> take(const std::string& key, int64_t now_s) {
    std::lock_guard<std::mutex> g(mtx_);
    sweep(now_s);
    auto it = items_.find(key);
    if (it == items_.end())
      return std::nullopt;
    auto v = std::move(it->second.first);
    items_.erase(it); // its by_expiry_ entry goes at a later sweep
    return v;
  }

  bool contains(const std::string& key, int64_t now_s) {
    std::lock_guard<std::mutex> g(mtx_);
    sweep(now_s);
    return items_.count(key) != 0;
  }

  size_t size() const {
    std::lock_guard<std::mutex> g(mtx_);
    return items_.size();
  }

private:
  void sweep(int64_t now_s) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_s) {
      auto it = items_.find(by_expiry_.begin()->second);
      // the key may have been taken and put again with a later deadline
      if (it != items_.end() && it->second.second <= now_s)
        items_.erase(it);
      by_expiry_.erase(by_expiry_.begin());
    }
  }

  mutable std::mutex mtx_;
  std::map<std::string, std::pair<V, int64_t>> items_;
  std::multimap<int64_t, std::string> by_expiry_;
  size_t max_;
};

} // namespace themis::auth::saml
