#include "handlers/metrics_registry.hpp"

#include <sstream>

#include "handlers/process_metrics.hpp"
#include "handlers/prometheus_text.hpp"

namespace themis {

metrics_registry::metrics_registry() :
  started_(std::chrono::steady_clock::now()) {}

double metrics_registry::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       started_)
    .count();
}

void metrics_registry::record_request(std::string_view route, int status,
                                      double seconds) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto it = routes_.find(route);
  if (it == routes_.end())
    it = routes_.emplace(std::string(route), route_stats{}).first;
  auto& r = it->second;
  ++r.by_status[status];
  for (size_t i = 0; i < latency_buckets.size(); ++i)
    if (seconds <= latency_buckets[i])
      ++r.buckets[i];
  ++r.total;
  r.sum += seconds;
}

std::pair<uint64_t, uint64_t> metrics_registry::request_totals() const {
  std::lock_guard<std::mutex> guard(mtx_);
  uint64_t all = 0, errors = 0;
  for (auto& [route, r] : routes_) {
    all += r.total;
    for (auto& [status, n] : r.by_status)
      if (status >= 400)
        errors += n;
  }
  return {all, errors};
}

void metrics_registry::add_collector(collector c, const void* once) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (once && !once_.insert(once).second)
    return;
  collectors_.push_back(std::move(c));
}

void metrics_registry::set_version(std::string v) {
  std::lock_guard<std::mutex> guard(mtx_);
  version_ = std::move(v);
}

void metrics_registry::record_pg_error(std::string_view sqlstate) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto it = pg_errors_.find(sqlstate);
  if (it == pg_errors_.end())
    it = pg_errors_.emplace(std::string(sqlstate), 0).first;
  ++it->second;
}

void metrics_registry::record_pg_transaction(double seconds, bool committed) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto& h = pg_tx_[committed ? 1 : 0];
  for (size_t i = 0; i < tx_buckets.size(); ++i)
    if (seconds <= tx_buckets[i])
      ++h.buckets[i];
  ++h.total;
  h.sum += seconds;
}

namespace {

constexpr const char* pg_kind_names[] = {
  "select",      "insert", "update", "delete",  "ddl",
  "transaction", "copy",   "cursor", "session", "other"};
static_assert(std::size(pg_kind_names) ==
              static_cast<size_t>(pg_statement_kind::count_));

constexpr const char* ws_endpoint_names[] = {"changefeed", "graphql", "mqtt",
                                             "pg"};
static_assert(std::size(ws_endpoint_names) ==
              static_cast<size_t>(ws_endpoint::count_));

} // namespace

std::string metrics_registry::render() const {
  std::ostringstream out;
  auto gauge = [&](std::string_view name, const char* help, auto value,
                   const char* type = "gauge") {
    auto base = name.substr(0, name.find('{'));
    out << "# HELP " << base << ' ' << help << "\n# TYPE " << base << ' '
        << type << '\n'
        << name << ' ' << value << '\n';
  };
  gauge("themis_uptime_seconds", "Seconds since start.", uptime_seconds());
  gauge("themis_open_connections", "Open client connections.",
        open_connections.load());
  gauge("themis_connections_accepted_total", "Accepted connections.",
        accepted_connections.load(), "counter");
  gauge("themis_connections_rejected_total",
        "Connections refused at accept (limit or draining).",
        rejected_connections.load(), "counter");
  gauge("themis_protocol_errors_total",
        "Requests answered with a protocol error (400/408/413/431 …).",
        protocol_errors.load(), "counter");
  gauge("themis_tls_handshakes_total", "Completed TLS handshakes.",
        tls_handshakes.load(), "counter");
  gauge("themis_tls_handshake_failures_total",
        "TLS handshakes that failed (clear-text clients included).",
        tls_handshake_failures.load(), "counter");
  gauge("themis_handler_crashes_total",
        "Handler exceptions and connection actor crashes.",
        handler_crashes.load(), "counter");
  gauge("themis_actor_restarts_total", "Restarts made by supervisors.",
        actor_restarts.load(), "counter");
  out << "# HELP themis_mailbox_depth Messages waiting in a key actor's "
         "mailbox.\n# TYPE themis_mailbox_depth gauge\n"
      << "themis_mailbox_depth{actor=\"store_writer\"} "
      << writer_mailbox.load()
      << "\nthemis_mailbox_depth{actor=\"changefeed_hub\"} "
      << hub_mailbox.load()
      << "\nthemis_mailbox_depth{actor=\"http_listener\"} "
      << listener_mailbox.load() << '\n';
  gauge("themis_changefeed_subscribers",
        "Streaming changefeed subscribers (SSE and WebSocket).",
        changefeed_subscribers.load());
  gauge("themis_changefeed_events_total", "Change events published.",
        changefeed_events.load(), "counter");
  for (int dir = 0; dir < 2; ++dir) {
    auto name = dir == 0 ? "themis_websocket_messages_received_total"
                         : "themis_websocket_messages_sent_total";
    out << "# HELP " << name << " WebSocket data messages "
        << (dir == 0 ? "received from" : "sent to")
        << " clients, by endpoint (changefeed, graphql, mqtt and pg over "
           "WebSocket).\n# TYPE "
        << name << " counter\n";
    for (size_t i = 0; i < ws_messages_.size(); ++i)
      out << name << "{endpoint=\"" << ws_endpoint_names[i] << "\"} "
          << (dir == 0 ? ws_messages_[i].received.load()
                       : ws_messages_[i].sent.load())
          << '\n';
  }
  gauge("themis_engine_commits_total", "Group commits of the store writer.",
        engine_commits.load(), "counter");
  gauge("themis_engine_ops_total", "Write operations committed.",
        engine_ops.load(), "counter");
  gauge("themis_engine_last_sequence", "Last change-log sequence.",
        engine_last_sequence.load());
  gauge("themis_aql_queries_total", "Synchronous AQL queries run.",
        aql_queries.load(), "counter");
  gauge("themis_aql_query_errors_total", "Synchronous AQL queries that failed.",
        aql_query_errors.load(), "counter");
  gauge("themis_aql_rows_scanned_total",
        "Documents and array elements scanned by AQL queries and jobs.",
        aql_rows_scanned.load(), "counter");
  gauge("themis_inflight_requests", "HTTP requests being handled.",
        inflight_requests.load());
  gauge("themis_rate_limited_total", "Requests answered 429.",
        rate_limited.load(), "counter");
  gauge("themis_rate_limit_dry_run_total",
        "Requests a dry-run limiter would have refused.",
        limiter_dry_run.load(), "counter");
  gauge("themis_rate_limiter_keys", "Buckets in the rate limiter table.",
        limiter_keys.load());
  gauge("themis_rate_limiter_evictions_total",
        "Buckets evicted because the table was full.", limiter_evictions.load(),
        "counter");
  gauge("themis_shed_requests_total",
        "Requests answered 503 because too many were in flight.",
        shed_requests.load(), "counter");
  gauge("themis_writer_shed_total",
        "Writes refused by store writer admission control.", writer_shed.load(),
        "counter");
  gauge("themis_writer_queue", "Writes sent to the store writer, unanswered.",
        writer_queue.load());
  gauge("themis_circuit_breaker_state",
        "Store writer breaker: 0 closed, 1 open, 2 half-open.",
        writer_breaker_state.load());
  gauge("themis_circuit_breaker_rejected_total",
        "Writes failed fast by the open breaker.", breaker_rejected.load(),
        "counter");
  gauge("themis_circuit_breaker_opened_total", "Times the breaker opened.",
        breaker_opened.load(), "counter");
  gauge("themis_faults_injected_total", "Injected faults that fired.",
        faults_injected.load(), "counter");
  gauge("themis_jobs_up", "0 when jobs_sup gave up.", jobs_up.load() ? 1 : 0);
  gauge("themis_jobs_running", "Async jobs running.", jobs_running.load());
  gauge("themis_jobs_pending", "Async jobs waiting to run.",
        jobs_pending.load());
  out << "# HELP themis_jobs_finished_total Async jobs finished, by status.\n"
         "# TYPE themis_jobs_finished_total counter\n"
      << "themis_jobs_finished_total{status=\"completed\"} "
      << jobs_completed.load()
      << "\nthemis_jobs_finished_total{status=\"failed\"} "
      << jobs_failed.load()
      << "\nthemis_jobs_finished_total{status=\"cancelled\"} "
      << jobs_cancelled.load() << '\n';
  gauge("themis_ready", "1 when /health/ready answers 200.",
        engine_open && listeners_up && !draining ? 1 : 0);
  std::unique_lock<std::mutex> guard(mtx_);
  out << "# HELP themis_http_requests_total Requests by route and status.\n"
         "# TYPE themis_http_requests_total counter\n";
  for (auto& [route, r] : routes_)
    for (auto& [status, n] : r.by_status)
      out << "themis_http_requests_total{route=\"" << route << "\",status=\""
          << status << "\"} " << n << '\n';
  out << "# HELP themis_http_request_duration_seconds Request latency.\n"
         "# TYPE themis_http_request_duration_seconds histogram\n";
  for (auto& [route, h] : routes_) {
    for (size_t i = 0; i < latency_buckets.size(); ++i)
      out << "themis_http_request_duration_seconds_bucket{route=\"" << route
          << "\",le=\"" << latency_buckets[i] << "\"} " << h.buckets[i] << '\n';
    out << "themis_http_request_duration_seconds_bucket{route=\"" << route
        << "\",le=\"+Inf\"} " << h.total << '\n'
        << "themis_http_request_duration_seconds_sum{route=\"" << route
        << "\"} " << h.sum << '\n'
        << "themis_http_request_duration_seconds_count{route=\"" << route
        << "\"} " << h.total << '\n';
  }
  prometheus_text t;
  t.str() = out.str();
  t.family("themis_build_info", "gauge",
           "Always 1; the version of the running themisd as a label.");
  t.sample("themis_build_info", int64_t{1}, {{"version", version_}});
  t.single("themis_http_auth_failures_total", "counter",
           "HTTP requests refused for missing or bad credentials (401).",
           http_auth_failures.load());
  t.single("themis_mqtt_auth_failures_total", "counter",
           "MQTT connections refused for bad or missing credentials.",
           mqtt_auth_failures.load());
  t.single("themis_pg_sessions", "gauge",
           "PostgreSQL sessions open (authenticated and admitted).",
           pg_sessions.load());
  t.single("themis_pg_sessions_total", "counter", "PostgreSQL sessions opened.",
           pg_sessions_started.load());
  t.single("themis_pg_auth_failures_total", "counter",
           "PostgreSQL logins refused (password, token or certificate).",
           pg_auth_failures.load());
  t.family("themis_pg_statements_total", "counter",
           "PostgreSQL statements executed, by kind.");
  for (size_t i = 0; i < pg_statements_.size(); ++i)
    t.sample("themis_pg_statements_total", pg_statements_[i].load(),
             {{"kind", pg_kind_names[i]}});
  t.family("themis_pg_errors_total", "counter",
           "PostgreSQL ErrorResponses sent, by SQLSTATE.");
  for (auto& [state, n] : pg_errors_)
    t.sample("themis_pg_errors_total", n, {{"sqlstate", state}});
  t.family("themis_pg_transaction_duration_seconds", "histogram",
           "Explicit PostgreSQL transactions, BEGIN to COMMIT or ROLLBACK.");
  for (int c = 1; c >= 0; --c) {
    auto& h = pg_tx_[c];
    std::string_view outcome = c ? "commit" : "rollback";
    for (size_t i = 0; i < tx_buckets.size(); ++i) {
      std::string le;
      prometheus_text::number(le, tx_buckets[i]);
      t.sample("themis_pg_transaction_duration_seconds_bucket", h.buckets[i],
               {{"outcome", outcome}, {"le", le}});
    }
    t.sample("themis_pg_transaction_duration_seconds_bucket", h.total,
             {{"outcome", outcome}, {"le", "+Inf"}});
    t.sample("themis_pg_transaction_duration_seconds_sum", h.sum,
             {{"outcome", outcome}});
    t.sample("themis_pg_transaction_duration_seconds_count", h.total,
             {{"outcome", outcome}});
  }
  auto collectors = collectors_;
  guard.unlock(); // collectors take their owners' locks
  render_process_metrics(t);
  for (auto& c : collectors)
    c(t);
  return std::move(t.str());
}

} // namespace themis
