#pragma once
/// Outstanding AuthnRequests (SP-initiated SSO): a response is accepted
/// only as the answer to a request this SP sent, at most once, within
/// saml.request_ttl_s. Bounded: when full of live requests, new logins
/// are refused (a flood of /login calls cannot push out real users'
/// requests silently … nor grow memory). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace themis::auth::saml {

struct pending_request {
  std::string relay_state; ///< what the IdP must echo back
  std::string return_to;   ///< local path to send the browser to, or ""
  int64_t expires_s = 0;
};

class request_store {
public:
  request_store(size_t max_entries, int64_t ttl_s) :
    max_(max_entries), ttl_s_(ttl_s) {}

  /// Remembers request `id`; false when the store is full.
  bool add(const std::string& id, pending_request p, int64_t now_s);
  /// Removes and returns the request `id` if it is still live.
  std::optional<pending_request> take(const std::string& id, int64_t now_s);
  size_t size() const;
  int64_t ttl_s() const { return ttl_s_; }

private:
  void sweep(int64_t now_s); ///< with mtx_ held

  mutable std::mutex mtx_;
  std::map<std::string, pending_request> by_id_;
  std::multimap<int64_t, std::string> by_expiry_;
  size_t max_;
  int64_t ttl_s_;
};

} // namespace themis::auth::saml
