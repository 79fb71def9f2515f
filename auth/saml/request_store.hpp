#pragma once
/// Outstanding AuthnRequests (SP-initiated SSO): a response is accepted
/// only as the answer to a request this SP sent, at most once, within
/// saml.request_ttl_s. Bounded (saml.max_pending_requests): when full,
/// the oldest pending request is dropped (its answer is then refused and
/// that user signs in again), so a flood of /login calls cannot lock
/// everyone out for request_ttl_s. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "auth/saml/expiring_map.hpp"

namespace themis::auth::saml {

struct pending_request {
  std::string relay_state; ///< what the IdP must echo back
  std::string return_to;   ///< local path to send the browser to, or ""
};

class request_store {
public:
  request_store(size_t max_entries, int64_t ttl_s) :
    map_(max_entries, expiring_map<pending_request>::when_full::drop_oldest),
    ttl_s_(ttl_s) {}

  /// Remembers request `id`; false only when the id is already pending.
  bool add(const std::string& id, pending_request p, int64_t now_s) {
    return map_.put(id, std::move(p), now_s + ttl_s_, now_s) ==
           put_status::added;
  }
  /// Removes and returns the request `id` if it is still live.
  std::optional<pending_request> take(const std::string& id, int64_t now_s) {
    return map_.take(id, now_s);
  }
  size_t size() const { return map_.size(); }

private:
  expiring_map<pending_request> map_;
  int64_t ttl_s_;
};

} // namespace themis::auth::saml
