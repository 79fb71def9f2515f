#pragma once
/// Per-tenant quotas (issue 9), from `auth.tenant_quotas` entries such as
/// "acme requests_per_s=100 connections=20 jobs=4 documents=100000".
/// Requests are a token bucket per tenant; connections and jobs are
/// counts the front-ends and the job service hold; documents are checked
/// by the writers' callers against the store's count. Each protocol turns
/// a refusal into its own quota answer (HTTP 429 with tenant_id, MQTT
/// 0x97, PostgreSQL 53400). Thread-safe; no CAF.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "limits/rate_algorithms.hpp"

namespace themis::limits {

struct tenant_quota {
  uint64_t requests_per_s = 0; ///< 0: unlimited
  uint64_t connections = 0;    ///< open connections, every protocol
  uint64_t jobs = 0;           ///< pending + running async jobs
  uint64_t documents = 0;      ///< stored documents
};

class tenant_quotas {
public:
  /// Parses every entry; an error names the bad one.
  static std::optional<std::string>
  parse(const std::vector<std::string>& entries,
        std::map<std::string, tenant_quota>& out);

  explicit tenant_quotas(std::map<std::string, tenant_quota> q = {}) :
    quotas_(std::move(q)) {}

  /// Replaces every tenant's quota (SIGHUP); open connections and request
  /// buckets are kept, so a lowered quota applies to what comes next.
  void replace(std::map<std::string, tenant_quota> q);
  /// The quota of `tenant` (a zeroed one when it has none).
  tenant_quota of(const std::string& tenant) const;
  /// One request at `now_ns`; false (and when it will fit) if over.
  bool take_request(const std::string& tenant, int64_t now_ns,
                    int64_t& retry_after_ns);
  /// Opens a connection for `tenant`; false if it has its quota's worth.
  bool acquire_connection(const std::string& tenant);
  void release_connection(const std::string& tenant);
  uint64_t connections(const std::string& tenant) const;

private:
  std::map<std::string, tenant_quota> quotas_;
  mutable std::mutex mtx_;
  std::map<std::string, bucket_state> buckets_;
  std::map<std::string, uint64_t> open_;
};

} // namespace themis::limits
