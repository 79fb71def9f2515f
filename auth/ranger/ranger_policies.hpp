#pragma once
/// Apache Ranger policies as Ranger Admin serves them to plugins (issue 24):
/// `GET /service/plugins/policies/download/{serviceName}` answers a
/// ServicePolicies document (serviceName, policyVersion, serviceDef,
/// policies[]). This is its pure model and parser: no CAF, no I/O, no
/// exceptions out; the depth and size of the untrusted document are checked
/// before nlohmann builds a tree of it. Only what the evaluator needs is
/// kept; unknown fields are ignored, as Ranger's own plugins do.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::auth::ranger {

/// One resource of a policy:
/// `{"values":[..],"isExcludes":..,"isRecursive":..}`.
struct policy_resource {
  std::vector<std::string> values; ///< `*` and `?` are wildcards
  bool is_excludes = false;
  bool is_recursive = false; ///< also matches "value/..." (topics, keys)
};

/// policyItems, denyPolicyItems, allowExceptions, denyExceptions entries.
struct policy_item {
  std::vector<std::string> users;
  std::vector<std::string> groups; ///< "public" is everyone
  std::vector<std::string> roles;
  std::vector<std::string> accesses; ///< types with isAllowed true
  bool delegate_admin = false;
  /// The item has conditions this evaluator does not implement: an allow
  /// item with them never grants, a deny item with them always applies
  /// (fail closed).
  bool unknown_conditions = false;
};

/// validitySchedules entry; times are seconds since the epoch in UTC, 0 for
/// an open end. `unknown_zone`: a timeZone we cannot resolve.
struct validity_schedule {
  int64_t start_s = 0;
  int64_t end_s = 0;
  bool unknown_zone = false;
};

struct policy {
  int64_t id = -1;
  std::string name;
  bool enabled = true;
  int priority = 0;    ///< 1 (override) is evaluated before 0 (normal)
  int policy_type = 0; ///< 0 access; data-mask/row-filter are not ours
  bool deny_all_else = false;
  std::map<std::string, policy_resource> resources;
  std::vector<policy_item> allow;
  std::vector<policy_item> deny;
  std::vector<policy_item> allow_exceptions;
  std::vector<policy_item> deny_exceptions;
  std::vector<validity_schedule> schedules;
};

struct service_policies {
  std::string service_name;
  int64_t policy_version = -1;
  std::string service_def_name;
  std::vector<policy> policies;
  /// The distinct policy priorities, highest first (set by the parser;
  /// call index_priorities() after building a set by hand).
  std::vector<int> priority_levels;
  void index_priorities();
};

struct parse_limits {
  size_t max_bytes = 16u << 20;
  uint32_t max_depth = 32;
  size_t max_policies = 100000;
};

/// Parses a ServicePolicies document; nullopt with `error` set when it is
/// not JSON, too deep or large, or lacks serviceName / policies.
std::optional<service_policies> parse_service_policies(std::string_view json,
                                                       std::string& error,
                                                       parse_limits lim = {});

/// Ranger's schedule time "yyyy/MM/dd HH:mm:ss" in zone `tz` (empty, UTC,
/// GMT, Etc/UTC or GMT±HH[:MM]) to epoch seconds; nullopt when either is
/// not understood.
std::optional<int64_t> parse_schedule_time(std::string_view s,
                                           std::string_view tz);

} // namespace themis::auth::ranger
