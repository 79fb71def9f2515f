#include "auth/ranger/ranger_enforcer.hpp"

#include <chrono>
#include <random>
#include <unistd.h>

#include "auth/ranger/ranger_audit.hpp"
#include "auth/ranger/ranger_evaluator.hpp"

namespace themis::auth::ranger {

ranger_enforcer::ranger_enforcer(enforcer_settings s) :
  settings_(std::move(s)) {
  if (!settings_.audit_file.empty())
    audit_ = std::fopen(settings_.audit_file.c_str(), "a");
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) == 0)
    host_ = buf;
}

ranger_enforcer::~ranger_enforcer() {
  if (audit_)
    std::fclose(audit_);
}

void ranger_enforcer::set_policies(std::shared_ptr<const service_policies> p) {
  std::lock_guard lk(policies_mu_);
  policies_ = std::move(p);
}

std::shared_ptr<const service_policies> ranger_enforcer::policies() const {
  std::lock_guard lk(policies_mu_);
  return policies_;
}

int64_t ranger_enforcer::version() const {
  auto p = policies();
  return p ? p->policy_version : -1;
}

bool ranger_enforcer::allows(const principal& who,
                             const access_check& c) const {
  auto ps = policies();
  auto now = std::chrono::system_clock::now();
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     now.time_since_epoch())
                     .count();
  access_request req;
  req.resources = c.resources;
  req.access = c.access;
  req.user = who.user.empty() ? std::string("anonymous") : who.user;
  // themisd has no directory groups: scopes (which include the JWT roles
  // claim) stand for Ranger groups and roles, and the tenant is a group
  // "tenant:<id>"
  // A scope named "tenant:…" (anyone may put it in a token or an API key)
  // must not pass for the tenant group: only the principal's tenant is.
  for (auto& s : who.scopes)
    if (s.rfind("tenant:", 0) != 0)
      req.groups.push_back(s);
  req.roles = req.groups;
  if (!who.tenant.empty())
    req.groups.push_back("tenant:" + who.tenant);
  req.now_s = now_ms / 1000;
  access_result r;
  if (ps)
    r = evaluate(*ps, req);
  bool allowed = r.matched ? r.allowed : settings_.fallback_to_scopes;
  if (audit_) {
    audit_event e;
    e.repo = settings_.service;
    e.user = req.user;
    e.time_ms = now_ms;
    e.access = c.access;
    for (auto& [k, v] : c.resources) {
      if (!e.resource.empty())
        e.resource += '/';
      e.resource += v;
    }
    e.res_type = c.res_type;
    e.action = c.action;
    e.allowed = allowed;
    e.policy_id = r.policy_id;
    e.policy_version = ps ? ps->policy_version : -1;
    e.client_ip = c.client_ip;
    e.agent = c.agent;
    e.agent_host = host_;
    e.enforcer = r.matched ? "ranger-acl" : "themis-scopes";
    e.seq = ++seq_;
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char id[40];
    std::snprintf(id, sizeof id, "%016llx-%llu",
                  static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(e.seq));
    e.event_id = id;
    auto line = format_audit_event(e);
    line += '\n';
    std::lock_guard lk(audit_mu_);
    std::fwrite(line.data(), 1, line.size(), audit_);
    std::fflush(audit_);
  }
  return allowed;
}

} // namespace themis::auth::ranger
