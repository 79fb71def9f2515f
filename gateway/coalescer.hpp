#pragma once
/// Request coalescing: identical in-flight GET/HEAD requests (same key, see
/// proxy_request.hpp) share one upstream call. The first is the leader and
/// makes the call; later ones wait on its answer, up to `max_waiters` per
/// key — beyond that a request makes its own call (bounded memory, and a
/// hot key does not turn into a queue). Keys are bounded too. Pure;
/// `Waiter` is whatever the owner needs to answer (a response promise).

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace themis::gateway {

template <class Waiter>
class coalescer {
public:
  enum class outcome { leader, joined, refused };

  explicit coalescer(size_t max_keys = 65536) : max_keys_(max_keys) {}

  /// Leader: start the call and `finish(key)` with its answer. Joined: the
  /// leader's answer will be given to `w`. Refused: call on your own.
  outcome join(const std::string& key, Waiter w, size_t max_waiters) {
    auto it = map_.find(key);
    if (it == map_.end()) {
      if (map_.size() >= max_keys_)
        return outcome::refused;
      map_[key].push_back(std::move(w));
      return outcome::leader;
    }
    if (it->second.size() >= max_waiters + 1)
      return outcome::refused;
    it->second.push_back(std::move(w));
    ++joined_;
    return outcome::joined;
  }

  /// Everyone waiting on `key` (the leader first); the key is free again.
  std::vector<Waiter> finish(const std::string& key) {
    std::vector<Waiter> out;
    auto it = map_.find(key);
    if (it != map_.end()) {
      out = std::move(it->second);
      map_.erase(it);
    }
    return out;
  }

  /// Takes a waiter (never the leader) matching `m` out of `key`'s list:
  /// one that waited too long makes its own call instead.
  template <class Match>
  bool take(const std::string& key, Match m, Waiter& out) {
    auto it = map_.find(key);
    if (it == map_.end())
      return false;
    auto& v = it->second;
    for (size_t i = 1; i < v.size(); ++i)
      if (m(v[i])) {
        out = std::move(v[i]);
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
    return false;
  }

  size_t keys() const { return map_.size(); }
  /// Requests that shared another's call (upstream calls saved).
  size_t joined_total() const { return joined_; }

private:
  size_t max_keys_;
  size_t joined_ = 0;
  std::unordered_map<std::string, std::vector<Waiter>> map_;
};

} // namespace themis::gateway
