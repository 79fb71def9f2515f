#pragma once
/// Assertion ids seen, each kept until its assertion could no longer be
/// accepted anyway (NotOnOrAfter plus the skew): a captured SAMLResponse
/// posted again is refused even if its request id were still pending.
/// Bounded: when full of live ids, new assertions are refused (fail
/// closed) rather than forgetting one that could then be replayed.
/// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace themis::auth::saml {

enum class replay_status { fresh, replayed, full };

class replay_cache {
public:
  explicit replay_cache(size_t max_entries) : max_(max_entries) {}

  /// Records `id` until `until_s`: `fresh` the first time, `replayed`
  /// while it is remembered, `full` when no room is left.
  replay_status use(const std::string& id, int64_t until_s, int64_t now_s);
  /// Whether `id` is remembered (no insert).
  bool seen(const std::string& id, int64_t now_s);
  size_t size() const;

private:
  void sweep(int64_t now_s); ///< with mtx_ held

  mutable std::mutex mtx_;
  std::map<std::string, int64_t> until_;
  std::multimap<int64_t, std::string> by_expiry_;
  size_t max_;
};

} // namespace themis::auth::saml
