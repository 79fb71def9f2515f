#pragma once
/// Assertion ids seen, each kept until its assertion could no longer be
/// accepted anyway (NotOnOrAfter plus the skew): a captured SAMLResponse
/// posted again is refused even if its request id were still pending.
/// Bounded (saml.max_replay_entries): when full of live ids, new
/// assertions are refused (fail closed) rather than forgetting one that
/// could then be replayed. Thread-safe.

#include <cstdint>
#include <string>

#include "auth/saml/expiring_map.hpp"

namespace themis::auth::saml {

enum class replay_status { fresh, replayed, full };

class replay_cache {
public:
  explicit replay_cache(size_t max_entries) : map_(max_entries) {}

  /// Records `id` until `until_s`: `fresh` the first time, `replayed`
  /// while it is remembered, `full` when no room is left.
  replay_status use(const std::string& id, int64_t until_s, int64_t now_s) {
    switch (map_.put(id, {}, until_s, now_s)) {
      case put_status::added:
        return replay_status::fresh;
      case put_status::exists:
        return replay_status::replayed;
      default:
        return replay_status::full;
    }
  }
  /// Whether `id` is remembered (no insert).
  bool seen(const std::string& id, int64_t now_s) {
    return map_.contains(id, now_s);
  }
  size_t size() const { return map_.size(); }

private:
  struct none {};
  expiring_map<none> map_;
};

} // namespace themis::auth::saml
