#pragma once
/// Process-wide counters, gauges and histograms, rendered as Prometheus
/// text on /metrics. Written from any thread (atomics and one mutex for
/// the labelled families); no CAF so handlers and tests can use it.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "themis/ws_message_counters.hpp"

namespace themis {

class prometheus_text;

/// WebSocket endpoints by what they carry (the `endpoint` label of
/// themis_websocket_messages_*_total).
enum class ws_endpoint { changefeed, graphql, mqtt, pg, count_ };

/// PostgreSQL statements by kind (the `kind` label of
/// themis_pg_statements_total).
enum class pg_statement_kind {
  select,
  insert,
  update,
  delete_,
  ddl,
  transaction,
  copy,
  cursor,
  session,
  other,
  count_
};

class metrics_registry {
public:
  static constexpr std::array<double, 14> latency_buckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   5.0};

  metrics_registry();

  /// One answered request: by route template and status.
  void record_request(std::string_view route, int status, double seconds);
  /// HTTP requests answered so far, and those answered with 4xx/5xx.
  std::pair<uint64_t, uint64_t> request_totals() const;

  std::string render() const;

  /// Families owned elsewhere (the MQTT broker, the engine), rendered on
  /// every scrape after the registry's own. Register before serving.
  using collector = std::function<void(prometheus_text&)>;
  /// With `once` set, a second registration under the same key is
  /// ignored (process-wide families registered where each router starts).
  void add_collector(collector c, const void* once = nullptr);
  /// themis_build_info{version}; set once at start.
  void set_version(std::string v);
  const std::string& version() const { return version_; }

  /// PostgreSQL: a statement started, an ErrorResponse sent, an explicit
  /// transaction ended (BEGIN to COMMIT/ROLLBACK).
  void record_pg_statement(pg_statement_kind k) {
    pg_statements_[static_cast<size_t>(k)].fetch_add(1,
                                                     std::memory_order_relaxed);
  }
  void record_pg_error(std::string_view sqlstate);
  void record_pg_transaction(double seconds, bool committed);

  double uptime_seconds() const;

  /// Where a WebSocket session of endpoint `e` counts its messages.
  ws::ws_message_counters* ws_counters(ws_endpoint e) const {
    return &ws_messages_[static_cast<size_t>(e)];
  }

  // Gauges and counters written directly by their owners.
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> accepted_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> tls_handshakes{0};         ///< completed
  std::atomic<uint64_t> tls_handshake_failures{0}; ///< incl. clear text
  std::atomic<uint64_t> handler_crashes{0};
  std::atomic<int64_t> writer_mailbox{0};
  std::atomic<int64_t> hub_mailbox{0};
  std::atomic<int64_t> listener_mailbox{0};
  std::atomic<int64_t> changefeed_subscribers{0};
  std::atomic<uint64_t> changefeed_events{0}; ///< events published
  std::atomic<uint64_t> engine_commits{0};
  std::atomic<uint64_t> engine_ops{0};
  std::atomic<uint64_t> engine_last_sequence{0};
  std::atomic<uint64_t> actor_restarts{0};
  std::atomic<uint64_t> aql_queries{0};      ///< synchronous queries run
  std::atomic<uint64_t> aql_query_errors{0}; ///< … that failed
  std::atomic<uint64_t> aql_rows_scanned{0}; ///< by queries and jobs
  std::atomic<int> writer_breaker_state{0};  ///< 0 closed, 1 open, 2 half-open
  std::atomic<int64_t> inflight_requests{0}; ///< HTTP requests being handled
  std::atomic<uint64_t> shed_requests{0};    ///< 503 by overload protection
  std::atomic<uint64_t> rate_limited{0};     ///< 429 answers
  std::atomic<bool> jobs_up{true};           ///< false: jobs_sup gave up
  // published once a second by the limits keeper
  std::atomic<int64_t> limiter_keys{0};
  std::atomic<uint64_t> limiter_evictions{0};
  std::atomic<uint64_t> limiter_dry_run{0};
  std::atomic<uint64_t> writer_shed{0};
  std::atomic<int64_t> writer_queue{0};
  std::atomic<uint64_t> breaker_rejected{0};
  std::atomic<uint64_t> breaker_opened{0};
  std::atomic<uint64_t> faults_injected{0};
  std::atomic<int64_t> jobs_running{0};
  std::atomic<int64_t> jobs_pending{0};
  std::atomic<uint64_t> jobs_completed{0};
  std::atomic<uint64_t> jobs_failed{0};
  std::atomic<uint64_t> jobs_cancelled{0};
  std::atomic<bool> engine_open{false};
  // PostgreSQL sessions (admitted, until they end) and failed logins
  std::atomic<int64_t> pg_sessions{0};
  std::atomic<uint64_t> pg_sessions_started{0};
  std::atomic<uint64_t> pg_auth_failures{0};
  std::atomic<uint64_t> mqtt_auth_failures{0};
  std::atomic<uint64_t> http_auth_failures{0};
  std::atomic<bool> listeners_up{false};
  std::atomic<bool> draining{false};

private:
  struct route_stats {
    std::map<int, uint64_t> by_status;
    std::array<uint64_t, latency_buckets.size()> buckets{};
    uint64_t total = 0;
    double sum = 0;
  };
  mutable std::mutex mtx_;
  /// Keyed by route template; found without allocating (heterogeneous
  /// lookup), so recording costs a lock and a few compares.
  std::map<std::string, route_stats, std::less<>> routes_;
  std::chrono::steady_clock::time_point started_;

  std::vector<collector> collectors_;
  std::set<const void*> once_;
  std::string version_;
  std::array<std::atomic<uint64_t>,
             static_cast<size_t>(pg_statement_kind::count_)>
    pg_statements_{};
  /// SQLSTATE → ErrorResponses sent (a small set in practice)
  std::map<std::string, uint64_t, std::less<>> pg_errors_;
  static constexpr std::array<double, 12> tx_buckets = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60};
  struct tx_stats {
    std::array<uint64_t, tx_buckets.size()> buckets{};
    uint64_t total = 0;
    double sum = 0;
  };
  tx_stats pg_tx_[2]; ///< [0] rolled back, [1] committed
  /// mutable: counters (atomics) added to through a const registry
  mutable std::array<ws::ws_message_counters,
                     static_cast<size_t>(ws_endpoint::count_)>
    ws_messages_{};
};

} // namespace themis
