#pragma once
/// A bounded map whose entries expire (the outstanding AuthnRequests and
/// the replay cache's assertion ids): an entry lives until its own
/// deadline. When full of live entries, `put` either refuses (the
/// replay cache: forgetting an id early would let it be replayed) or
/// drops the entry closest to its deadline (the request store: a flood
/// of logins then costs the oldest pending login a retry instead of
/// locking every user out). Expired entries go at every call, oldest
/// deadline first. Thread-safe.

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
  enum class when_full { refuse, drop_oldest };

  explicit expiring_map(size_t max_entries,
                        when_full policy = when_full::refuse) :
    max_(max_entries),
    policy_(policy) {}

  put_status put(const std::string& key, V value, int64_t until_s,
                 int64_t now_s) {
    std::lock_guard<std::mutex> g(mtx_);
    sweep(now_s);
    if (items_.count(key))
      return put_status::exists;
    while (items_.size() >= max_) {
      if (policy_ == when_full::refuse || by_expiry_.empty())
        return put_status::full;
      auto it = items_.find(by_expiry_.begin()->second);
      if (it != items_.end() && it->second.second == by_expiry_.begin()->first)
        items_.erase(it); // (a stale index entry of a taken key: skipped)
      by_expiry_.erase(by_expiry_.begin());
    }
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
  when_full policy_;
};

} // namespace themis::auth::saml
