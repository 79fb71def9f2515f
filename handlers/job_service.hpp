#pragma once
/// The async job API as plain C++: records, the FIFO of pending jobs, the
/// concurrency limit, idempotency, paging, TTL expiry, restart recovery.
/// Two shapes over one set of jobs: ThemisDB's on /v2/jobs (bare-array
/// list, inline result, 409 on cancelling a finished job) and themisd's
/// own on /v1/jobs (paged list, result pages, DELETE removes a finished
/// record); see docs/jobs.md. The job manager actor owns one and supplies what
/// needs the actor system: starting a runner for a job, and holding long-poll
/// answers (`deferred`). Every state change is written to the job store
/// before it is answered.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/aql/ast.hpp"
#include "engine/aql/executor.hpp"
#include "engine/jobs/job_store.hpp"
#include "handlers/metrics_registry.hpp"
#include "limits/tenant_quotas.hpp"
#include "themis/api_message.hpp"
#include "themis/server_config.hpp"

namespace themis {

/// Live counters of a running job, read by status requests while the
/// runner's thread updates them.
struct job_progress {
  aql::run_progress run;
  std::atomic<int64_t> stored{0}; ///< result rows already in the job store
};

/// Everything a runner needs to execute one job.
struct job_run {
  std::string id;
  std::shared_ptr<const aql::parsed_query> query;
  nlohmann::json bind_vars;
  std::shared_ptr<job_progress> progress;
  aql::run_limits limits;
  std::string db_path;     ///< the document store
  std::string jobs_path;   ///< jobs.db
  std::string traceparent; ///< the submitting request's span (tracing)
};

/// A runner's report when its query ended.
struct job_outcome {
  std::string id;
  std::string status; ///< completed | failed | cancelled
  std::string error;
  std::string error_kind;
  int64_t result_count = 0;
};

class job_service {
public:
  using clock_fn = std::function<int64_t()>; ///< wall clock, ms since epoch
  using launch_fn = std::function<void(job_run)>;

  /// A request the caller answers later: a status long-poll (`wait`) or a
  /// DELETE waiting for the running query to stop.
  struct deferred {
    std::string id;
    std::string status_seen; ///< answer when the status differs
    uint32_t timeout_ms = 0;
    bool is_cancel = false;
    bool compat = false; ///< answer in ThemisDB's shape (/v2/jobs)
  };

  job_service(const server_config& cfg, launch_fn launch, clock_fn now);
  ~job_service();

  /// Reopens the store: running jobs become failed/interrupted, pending
  /// ones queue again in submission order.
  void recover();

  /// Answers now, or returns nullopt after filling `later`.
  std::optional<api_response> handle(const api_request& req, deferred& later);
  /// The current answer for a deferred request.
  api_response answer(const deferred& d);
  /// Whether a deferred request can be answered now.
  bool ready(const deferred& d) const;

  void finished(const job_outcome& out);
  /// The runner of `id` died without reporting.
  void runner_lost(const std::string& id, const std::string& why);
  /// Removes results past their TTL (records stay, marked expired) and
  /// records past twice their TTL.
  void sweep();
  /// Server shutdown: running jobs are cancelled and recorded as
  /// failed/interrupted; pending ones stay pending.
  void shutdown();

  /// Counters and gauges to keep up to date (optional).
  void set_metrics(metrics_registry* m) { metrics_ = m; }
  /// Reads `jobs=` quotas from `q` (the server's live tenant quotas, which
  /// SIGHUP replaces) instead of the copy parsed at construction.
  void set_quotas(const limits::tenant_quotas* q) { live_quotas_ = q; }

  size_t running() const { return running_; }
  size_t pending() const { return queue_.size(); }

private:
  struct entry {
    engine::job_record rec;
    std::shared_ptr<job_progress> progress; ///< while running
    std::string traceparent; ///< of the submit request; not persisted
  };

  api_response submit(const api_request& req, const std::string& base,
                      bool compat);
  api_response list(const api_request& req);
  /// ThemisDB's GET /v2/jobs: a bare array of the newest 1,000.
  api_response list_compat(const api_request& req);
  api_response result_page(const api_request& req, entry& e);
  std::optional<api_response> remove(entry& e, deferred& later);
  /// ThemisDB's DELETE /v2/jobs/{id}: cancel only, 409 when terminal.
  std::optional<api_response> cancel_compat(entry& e, deferred& later);
  void cancel_pending(entry& e);
  nlohmann::json render(const entry& e) const;
  /// render() in ThemisDB's record shape: created_at/updated_at without
  /// milliseconds, and (with `inline_result`) the first page of a
  /// completed job's result as `result`.
  nlohmann::json render_compat(const entry& e, bool inline_result) const;
  void start_next();
  void save(entry& e);

  const server_config& cfg_;
  launch_fn launch_;
  clock_fn now_;
  std::unique_ptr<engine::job_store> store_;
  std::map<std::string, entry> jobs_;
  std::map<std::string, std::string> by_key_; ///< idempotency key → id
  std::deque<std::string> queue_;             ///< pending, FIFO
  size_t running_ = 0;
  int64_t next_seq_ = 1;
  metrics_registry* metrics_ = nullptr;
  std::map<std::string, limits::tenant_quota> quotas_;
  const limits::tenant_quotas* live_quotas_ = nullptr;
  void publish_gauges();
  /// Idempotency keys are their submitter's own.
  static std::string idem_index(const std::string& tenant,
                                const std::string& user,
                                const std::string& key) {
    return tenant + '\n' + user + '\n' + key;
  }
  /// auth.tenant_quotas' `jobs=` for `tenant` (0: none).
  size_t tenant_job_quota(const std::string& tenant) const;
};

} // namespace themis
