#include "handlers/job_service.hpp"

#include <algorithm>

#include "engine/aql/parser.hpp"
#include "engine/store_schema.hpp"
#include "handlers/job_service_util.hpp"
#include "handlers/query_common.hpp"

// Job state: recovery, the queue and its runners, expiry, shutdown. The
// /v2/jobs requests are answered in job_service_http.cpp.

namespace themis {

namespace {

using json = nlohmann::json;
using detail::iso8601;
using detail::terminal;

} // namespace

job_service::job_service(const server_config& cfg, launch_fn launch,
                         clock_fn now) :
  cfg_(cfg),
  launch_(std::move(launch)), now_(std::move(now)) {
  // validated at start-up (server.cpp); a bad entry here just means none
  limits::tenant_quotas::parse(cfg.auth.tenant_quotas, quotas_);
}

size_t job_service::tenant_job_quota(const std::string& tenant) const {
  if (live_quotas_)
    return tenant.empty() ? 0 : live_quotas_->of(tenant).jobs;
  auto i = quotas_.find(tenant);
  return tenant.empty() || i == quotas_.end() ? 0 : i->second.jobs;
}

job_service::~job_service() = default;

void job_service::recover() {
  store_ = std::make_unique<engine::job_store>(
    engine::job_store::path_in(cfg_.engine.data_dir),
    static_cast<int>(cfg_.engine.busy_timeout_ms));
  for (auto& r : store_->load_all()) {
    next_seq_ = std::max(next_seq_, r.seq + 1);
    entry e{r, nullptr};
    if (r.status == "running") {
      // The server stopped under it: say so, never leave it "running".
      e.rec.status = "failed";
      e.rec.error = "interrupted: the server stopped while the job ran";
      e.rec.error_kind = "interrupted";
      e.rec.finished_ms = now_();
      e.rec.expires_ms = e.rec.finished_ms + e.rec.ttl_s * 1000;
      store_->delete_rows(r.id);
      e.rec.result_count = 0;
      store_->update(e.rec);
    }
    if (e.rec.status == "pending")
      queue_.push_back(r.id);
    if (!r.idempotency_key.empty())
      by_key_[idem_index(r.owner_tenant, r.owner_user, r.idempotency_key)] =
        r.id;
    jobs_.emplace(r.id, std::move(e));
  }
  start_next();
}

void job_service::save(entry& e) {
  store_->update(e.rec);
}

json job_service::render(const entry& e) const {
  auto& r = e.rec;
  int64_t scanned = r.rows_scanned, produced = r.rows_produced,
          stored = r.result_count, writes = r.writes;
  if (e.progress) {
    scanned = static_cast<int64_t>(e.progress->run.rows_scanned.load());
    produced = static_cast<int64_t>(e.progress->run.rows_produced.load());
    stored = e.progress->stored.load();
    writes = static_cast<int64_t>(e.progress->run.writes.load());
  }
  json j = {
    {"job_id", r.id},
    {"status", r.status},
    {"query", r.query},
    {"created_at", iso8601(r.created_ms)},
    {"started_at", iso8601(r.started_ms)},
    {"finished_at", iso8601(r.finished_ms)},
    {"expires_at", iso8601(r.expires_ms)},
    {"ttl_seconds", r.ttl_s},
    {"progress", {{"rows_scanned", scanned}, {"rows_produced", produced}}},
    {"result_count", stored},
    {"writes", writes},
    {"expired", r.expired}};
  if (!r.idempotency_key.empty())
    j["idempotency_key"] = r.idempotency_key;
  if (!r.error.empty()) {
    j["error"] = r.error;
    j["error_kind"] = r.error_kind;
  }
  return j;
}

json job_service::render_compat(const entry& e, bool inline_result) const {
  auto& r = e.rec;
  auto j = render(e);
  j["created_at"] = detail::iso8601_s(r.created_ms);
  j["updated_at"] =
    detail::iso8601_s(std::max({r.created_ms, r.started_ms, r.finished_ms}));
  if (!inline_result || r.status != "completed" || r.expired)
    return j;
  // The first page inline, bounded in rows and bytes; the rest is paged
  // from /v2/jobs/{id}/result (docs/jobs.md).
  constexpr size_t max_inline_bytes = 1 << 20;
  auto rows = store_->rows(r.id, 0, cfg_.jobs.page_size);
  json arr = json::array();
  size_t bytes = 0;
  for (auto& row : rows) {
    if (!arr.empty() && bytes + row.size() > max_inline_bytes)
      break;
    bytes += row.size();
    arr.push_back(json::parse(row, nullptr, false));
  }
  auto n = static_cast<int64_t>(arr.size());
  bool more = n < r.result_count;
  j["result"] = {{"count", n},
                 {"entities", arr},
                 {"result", arr},
                 {"has_more", more},
                 {"next_page_token", more ? json(std::to_string(n)) : json()},
                 {"next", more ? json("/v2/jobs/" + r.id +
                                      "/result?page_token=" + std::to_string(n))
                               : json()}};
  return j;
}

void job_service::cancel_pending(entry& e) {
  auto& r = e.rec;
  queue_.erase(std::remove(queue_.begin(), queue_.end(), r.id), queue_.end());
  r.status = "cancelled";
  if (metrics_)
    ++metrics_->jobs_cancelled;
  r.error = "cancelled before it started";
  r.error_kind = "cancelled";
  r.finished_ms = now_();
  r.expires_ms = r.finished_ms + r.ttl_s * 1000;
  save(e);
  publish_gauges();
}

void job_service::publish_gauges() {
  if (!metrics_)
    return;
  metrics_->jobs_running = static_cast<int64_t>(running_);
  int64_t pending = 0;
  for (auto& id : queue_)
    if (auto it = jobs_.find(id);
        it != jobs_.end() && it->second.rec.status == "pending")
      ++pending;
  metrics_->jobs_pending = pending;
}

void job_service::start_next() {
  struct publish {
    job_service* s;
    ~publish() { s->publish_gauges(); }
  } at_end{this};
  while (running_ < cfg_.jobs.max_running && !queue_.empty()) {
    auto id = queue_.front();
    queue_.pop_front();
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.rec.status != "pending")
      continue;
    auto& e = it->second;
    job_run run;
    run.id = id;
    try {
      run.query = std::make_shared<aql::parsed_query>(aql::parse(e.rec.query));
    } catch (const aql::aql_error& err) {
      e.rec.status = "failed";
      e.rec.error = err.what();
      e.rec.error_kind = aql_kind_name(err.kind());
      e.rec.finished_ms = now_();
      e.rec.expires_ms = e.rec.finished_ms + e.rec.ttl_s * 1000;
      save(e);
      continue;
    }
    run.bind_vars = json::parse(e.rec.bind_vars, nullptr, false);
    e.progress = std::make_shared<job_progress>();
    run.progress = e.progress;
    run.limits.deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(cfg_.jobs.max_runtime_s);
    run.limits.max_rows = cfg_.jobs.max_result_rows;
    // a job runs in its owner's namespace; dotted (other tenants') names
    // stay out of reach even for an admin's job
    run.limits.tenant = e.rec.owner_tenant;
    run.limits.all_tenants = false;
    run.limits.write_batch = cfg_.query.write_batch;
    engine::store_options so;
    so.data_dir = cfg_.engine.data_dir;
    run.db_path = engine::database_path(so);
    run.jobs_path = engine::job_store::path_in(cfg_.engine.data_dir);
    run.traceparent = e.traceparent;
    e.rec.status = "running";
    e.rec.started_ms = now_();
    save(e);
    ++running_;
    launch_(std::move(run));
  }
}

void job_service::finished(const job_outcome& out) {
  auto it = jobs_.find(out.id);
  if (it == jobs_.end() || it->second.rec.status != "running")
    return;
  auto& e = it->second;
  auto& r = e.rec;
  if (e.progress) {
    r.rows_scanned = static_cast<int64_t>(e.progress->run.rows_scanned.load());
    r.rows_produced =
      static_cast<int64_t>(e.progress->run.rows_produced.load());
    r.writes = static_cast<int64_t>(e.progress->run.writes.load());
  }
  e.progress.reset();
  if (metrics_) {
    metrics_->aql_rows_scanned += static_cast<uint64_t>(r.rows_scanned);
    auto& counter = out.status == "completed"   ? metrics_->jobs_completed
                    : out.status == "cancelled" ? metrics_->jobs_cancelled
                                                : metrics_->jobs_failed;
    ++counter;
  }
  r.status = out.status;
  r.error = out.error;
  r.error_kind = out.error_kind;
  r.result_count = out.result_count;
  r.finished_ms = now_();
  r.expires_ms = r.finished_ms + r.ttl_s * 1000;
  if (r.status != "completed") {
    // A failed or cancelled job has no result: partial rows would look
    // like a complete answer to a careless client.
    store_->delete_rows(r.id);
    r.result_count = 0;
  }
  save(e);
  --running_;
  start_next();
}

void job_service::runner_lost(const std::string& id, const std::string& why) {
  job_outcome out{id, "failed", "the job's worker stopped: " + why, "internal",
                  0};
  finished(out);
}

void job_service::sweep() {
  auto now = now_();
  std::vector<std::string> gone;
  for (auto& [id, e] : jobs_) {
    auto& r = e.rec;
    if (!terminal(r.status) || r.expires_ms == 0 || now < r.expires_ms)
      continue;
    if (now >= r.expires_ms + r.ttl_s * 1000) {
      gone.push_back(id); // the record too, after a second TTL
    } else if (!r.expired) {
      store_->delete_rows(id);
      r.expired = true;
      save(e);
    }
  }
  for (auto& id : gone) {
    auto& r = jobs_.at(id).rec;
    if (!r.idempotency_key.empty())
      by_key_.erase(
        idem_index(r.owner_tenant, r.owner_user, r.idempotency_key));
    store_->delete_job(id);
    jobs_.erase(id);
  }
}

void job_service::shutdown() {
  if (!store_)
    return;
  for (auto& [id, e] : jobs_) {
    if (e.rec.status != "running")
      continue;
    if (e.progress)
      e.progress->run.cancel.store(true);
    e.rec.status = "failed";
    e.rec.error = "interrupted: the server shut down while the job ran";
    e.rec.error_kind = "interrupted";
    e.rec.finished_ms = now_();
    e.rec.expires_ms = e.rec.finished_ms + e.rec.ttl_s * 1000;
    e.rec.result_count = 0;
    store_->delete_rows(id);
    save(e);
  }
}

} // namespace themis
