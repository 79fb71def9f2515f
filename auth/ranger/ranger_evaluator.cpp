#include "auth/ranger/ranger_evaluator.hpp"

#include <algorithm>

namespace themis::auth::ranger {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// Ranger's "{USER}" macro and the "public" group match everyone.
bool item_matches_who(const policy_item& it, const access_request& r) {
  if (contains(it.users, r.user) || contains(it.users, "{USER}"))
    return true;
  if (contains(it.groups, "public"))
    return true;
  for (auto& g : r.groups)
    if (contains(it.groups, g))
      return true;
  for (auto& x : r.roles)
    if (contains(it.roles, x))
      return true;
  return false;
}

bool item_matches(const policy_item& it, const access_request& r) {
  return item_matches_who(it, r) &&
         (contains(it.accesses, r.access) || contains(it.accesses, "all"));
}

/// Conditions we cannot evaluate: deny-side items apply, allow-side do not.
bool any_item(const std::vector<policy_item>& items, const access_request& r,
              bool deny_side) {
  for (auto& it : items) {
    if (it.unknown_conditions && !deny_side)
      continue;
    if (item_matches(it, r))
      return true;
  }
  return false;
}

bool schedule_ok(const policy& p, int64_t now, bool deny_side) {
  if (p.schedules.empty())
    return true;
  for (auto& s : p.schedules) {
    if (s.unknown_zone)
      return deny_side; // fail closed
    if ((s.start_s == 0 || now >= s.start_s) && (s.end_s == 0 || now < s.end_s))
      return true;
  }
  return false;
}

bool value_matches(const policy_resource& pr, std::string_view v) {
  bool hit = false;
  for (auto& pat : pr.values) {
    if (wildcard_match(pat, v)) {
      hit = true;
      break;
    }
    // isRecursive: "a/b" (or "a/?", "s*s") also covers "a/b/c": the
    // pattern matches a prefix that ends where a '/' begins
    if (pr.is_recursive)
      for (size_t slash = v.find('/'); !hit && slash != std::string_view::npos;
           slash = v.find('/', slash + 1))
        hit = wildcard_match(pat, v.substr(0, slash));
    if (hit)
      break;
  }
  return pr.is_excludes ? !hit : hit;
}

} // namespace

bool wildcard_match(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

bool resources_match(const policy& p, const access_request& req) {
  bool named = false;
  for (auto& [name, pr] : p.resources) {
    auto it = std::find_if(req.resources.begin(), req.resources.end(),
                           [&](auto& kv) { return kv.first == name; });
    if (it == req.resources.end())
      return false; // another hierarchy, or a deeper level than asked
    named = true;
    if (!value_matches(pr, it->second))
      return false;
  }
  // levels below the policy's deepest (a collection policy, a key
  // request) are covered, as a Ranger policy on a parent with `*` below
  return named;
}

access_result evaluate(const service_policies& ps, const access_request& req) {
  // priorities, highest first (computed once when the set was parsed);
  // few distinct values, so scan per level
  for (int level : ps.priority_levels) {
    access_result allow, deny;
    for (auto& p : ps.policies) {
      if (p.priority != level || !p.enabled || p.policy_type != 0)
        continue;
      if (!resources_match(p, req))
        continue;
      if (!deny.matched && schedule_ok(p, req.now_s, true) &&
          any_item(p.deny, req, true) &&
          !any_item(p.deny_exceptions, req, false))
        deny = {true, false, p.id, p.priority};
      if (!schedule_ok(p, req.now_s, false))
        continue;
      bool granted = any_item(p.allow, req, false) &&
                     !any_item(p.allow_exceptions, req, true);
      if (granted && !allow.matched)
        allow = {true, true, p.id, p.priority};
      else if (!granted && p.deny_all_else && !deny.matched)
        deny = {true, false, p.id, p.priority};
    }
    if (deny.matched)
      return deny;
    if (allow.matched)
      return allow;
  }
  return {};
}

} // namespace themis::auth::ranger
