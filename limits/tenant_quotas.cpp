#include "limits/tenant_quotas.hpp"

#include "themis/principal.hpp"

#include <charconv>
#include <sstream>

namespace themis::limits {

std::optional<std::string>
tenant_quotas::parse(const std::vector<std::string>& entries,
                     std::map<std::string, tenant_quota>& out) {
  for (auto& entry : entries) {
    std::istringstream in(entry);
    std::string tenant, w;
    if (!(in >> tenant))
      continue;
    if (!valid_tenant_id(tenant))
      return "auth.tenant_quotas: '" + tenant +
             "' is not a tenant id (1-32 of a-z, 0-9 and -)";
    tenant_quota q;
    while (in >> w) {
      auto eq = w.find('=');
      uint64_t v = 0;
      auto val = eq == std::string::npos ? std::string() : w.substr(eq + 1);
      auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
      if (val.empty() || ec != std::errc{} || p != val.data() + val.size())
        return "auth.tenant_quotas: '" + w + "' for tenant " + tenant +
               " is not name=integer";
      auto name = w.substr(0, eq);
      if (name == "requests_per_s")
        q.requests_per_s = v;
      else if (name == "connections")
        q.connections = v;
      else if (name == "jobs")
        q.jobs = v;
      else if (name == "documents")
        q.documents = v;
      else
        return "auth.tenant_quotas: unknown quota '" + name +
               "' (requests_per_s, connections, jobs, documents)";
    }
    out[tenant] = q;
  }
  return std::nullopt;
}

void tenant_quotas::replace(std::map<std::string, tenant_quota> q) {
  std::lock_guard<std::mutex> g(mtx_);
  quotas_ = std::move(q);
}

tenant_quota tenant_quotas::of(const std::string& tenant) const {
  std::lock_guard<std::mutex> g(mtx_);
  auto i = quotas_.find(tenant);
  return i == quotas_.end() ? tenant_quota{} : i->second;
}

bool tenant_quotas::take_request(const std::string& tenant, int64_t now_ns,
                                 int64_t& retry_after_ns) {
  if (tenant.empty())
    return true;
  std::lock_guard<std::mutex> g(mtx_);
  auto i = quotas_.find(tenant);
  if (i == quotas_.end() || i->second.requests_per_s == 0)
    return true;
  limit_spec spec;
  spec.limit = i->second.requests_per_s;
  spec.window_ns = 1'000'000'000;
  auto d = take(algorithm::token_bucket, spec, buckets_[tenant], now_ns);
  retry_after_ns = d.retry_after_ns;
  return d.allowed;
}

bool tenant_quotas::acquire_connection(const std::string& tenant) {
  if (tenant.empty())
    return true;
  auto q = of(tenant);
  std::lock_guard<std::mutex> g(mtx_);
  auto& n = open_[tenant];
  if (q.connections && n >= q.connections)
    return false;
  ++n;
  return true;
}

void tenant_quotas::release_connection(const std::string& tenant) {
  if (tenant.empty())
    return;
  std::lock_guard<std::mutex> g(mtx_);
  auto i = open_.find(tenant);
  if (i != open_.end() && i->second > 0)
    --i->second;
}

uint64_t tenant_quotas::connections(const std::string& tenant) const {
  std::lock_guard<std::mutex> g(mtx_);
  auto i = open_.find(tenant);
  return i == open_.end() ? 0 : i->second;
}

} // namespace themis::limits
