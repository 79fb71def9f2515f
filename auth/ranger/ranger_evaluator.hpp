#pragma once
/// Ranger policy evaluation (issue 24), after Ranger's
/// RangerDefaultPolicyEvaluator and RangerPolicyEngine: policies are taken
/// in priority order (override before normal); at one priority a deny
/// (minus deny exceptions) beats an allow (minus allow exceptions), and the
/// first priority that decides is final. No decision: `matched` is false
/// and the caller applies its default (deny, or themisd scopes alone).
/// Pure and thread-safe over a const policy set.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "auth/ranger/ranger_policies.hpp"

namespace themis::auth::ranger {

/// One access to decide. `resources` names the levels of one hierarchy of
/// the themis service definition: tenant/collection/key (data),
/// tenant/topic (MQTT) or tenant/table (SQL).
struct access_request {
  std::vector<std::pair<std::string, std::string>> resources;
  std::string access; ///< read write query admin publish subscribe
  std::string user;
  std::vector<std::string> groups;
  std::vector<std::string> roles;
  int64_t now_s = 0;
};

struct access_result {
  bool matched = false; ///< some policy decided
  bool allowed = false;
  int64_t policy_id = -1;
  int policy_priority = 0;
};

access_result evaluate(const service_policies& ps, const access_request& req);

/// `*` and `?` wildcards, iterative (no recursion on hostile patterns).
bool wildcard_match(std::string_view pattern, std::string_view value);

/// Whether policy `p`'s resources cover the request's (all of p's
/// resource names are levels of the request's hierarchy, and each matches).
bool resources_match(const policy& p, const access_request& req);

} // namespace themis::auth::ranger
