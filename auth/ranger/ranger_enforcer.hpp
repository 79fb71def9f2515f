#pragma once
/// The Ranger policy decision point shared by every front-end (issue 24):
/// holds the current policy set (swapped whole by the poller, read without
/// blocking writers for long), decides one access for a principal, and
/// appends a Ranger-format audit line per decision. Callers combine the
/// answer with themisd scopes: both must allow.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "auth/ranger/ranger_policies.hpp"
#include "themis/principal.hpp"

namespace themis::auth::ranger {

struct enforcer_settings {
  std::string service;    ///< Ranger service name (repo)
  std::string audit_file; ///< "" : no Ranger audit
  /// No policy matched: false → deny (Ranger's default), true → the
  /// themisd scopes decide alone.
  bool fallback_to_scopes = false;
};

/// One access as a front-end sees it.
struct access_check {
  std::vector<std::pair<std::string, std::string>> resources;
  std::string access;
  std::string res_type;  ///< @collection, @topic, @table (audit only)
  std::string action;    ///< audit only
  std::string client_ip; ///< audit only
  std::string agent;     ///< audit only
};

class ranger_enforcer {
public:
  explicit ranger_enforcer(enforcer_settings s);
  ~ranger_enforcer();
  ranger_enforcer(const ranger_enforcer&) = delete;
  ranger_enforcer& operator=(const ranger_enforcer&) = delete;

  void set_policies(std::shared_ptr<const service_policies> p);
  std::shared_ptr<const service_policies> policies() const;
  /// policyVersion of the set in force, -1 before any.
  int64_t version() const;

  /// Whether Ranger allows it (without scopes). Audited.
  bool allows(const principal& who, const access_check& c) const;

  const enforcer_settings& settings() const { return settings_; }

private:
  enforcer_settings settings_;
  mutable std::mutex policies_mu_;
  std::shared_ptr<const service_policies> policies_;
  mutable std::mutex audit_mu_;
  std::FILE* audit_ = nullptr;
  mutable std::atomic<int64_t> seq_{0};
  std::string host_;
};

} // namespace themis::auth::ranger
