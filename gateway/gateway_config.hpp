#pragma once
/// The gateway's configuration (issue 23): upstream clusters and routes, as
/// read from the YAML file `gateway.file` names. Plain structs; parsing
/// validates everything and names the offending key
/// (`routes[2].forward.cluster: unknown cluster 'x'`), so a bad file is
/// refused at start or on SIGHUP without touching the running table.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace themis::gateway {

enum class lb_policy {
  round_robin,
  weighted,      ///< smooth weighted round robin (nginx's)
  least_request, ///< power of two choices on active requests / weight
  random,
  ring_hash, ///< consistent hash on `hash_on` (session affinity)
  smart,     ///< latency window: exclude slow p99, least loaded of the rest
  maglev,    ///< Maglev lookup table on `hash_on` (session affinity)
};

const char* to_string(lb_policy p);

struct endpoint_config {
  std::string host; ///< IPv4/IPv6 literal or name resolved once at start
  uint16_t port = 0;
  uint32_t weight = 1;
  std::string address() const { return host + ":" + std::to_string(port); }
  bool operator==(const endpoint_config&) const = default;
};

/// Active HTTP health checks: a GET of `path` on its own connection.
struct health_check_config {
  std::string path; ///< empty: no active checks (every endpoint healthy)
  uint32_t interval_ms = 2000;
  uint32_t timeout_ms = 1000;
  uint32_t healthy_threshold = 1;   ///< passes to come back
  uint32_t unhealthy_threshold = 2; ///< failures to be taken out
  bool operator==(const health_check_config&) const = default;
};

/// Passive outlier detection: consecutive 5xx/gateway failures eject an
/// endpoint for base * 2^(n-1) (capped), at most max_percent of the pool.
struct outlier_config {
  uint32_t consecutive_5xx = 5; ///< 0: off
  uint32_t base_ejection_ms = 5000;
  uint32_t max_ejection_ms = 60000;
  uint32_t max_ejection_percent = 50;
  bool operator==(const outlier_config&) const = default;
};

/// Per-cluster limits (Envoy's circuit breaker thresholds): over them a
/// request is answered 503 at once instead of queueing.
struct breaker_config {
  uint32_t max_connections = 256; ///< open upstream connections, all endpoints
  uint32_t max_pending = 256;     ///< requests waiting for a connection
  uint32_t max_requests = 1024;   ///< requests in flight
  uint32_t max_retries = 16;      ///< retries in flight
  bool operator==(const breaker_config&) const = default;
};

/// Retries are allowed while retries in flight stay under
/// max(min_concurrent, percent% of requests in flight).
struct retry_budget_config {
  uint32_t percent = 20;
  uint32_t min_concurrent = 3;
  bool operator==(const retry_budget_config&) const = default;
};

struct smart_config {
  uint32_t window = 128;         ///< latency samples kept per endpoint
  uint32_t p99_threshold_ms = 0; ///< 0: no exclusion, only least-loaded
  uint32_t min_samples = 20;     ///< before an endpoint may be excluded
  bool operator==(const smart_config&) const = default;
};

/// TLS to a cluster's endpoints (OpenSSL through Asio).
struct upstream_tls_config {
  bool enabled = false;
  bool verify = true;  ///< the chain (ca_file or the system's) and the name
  std::string ca_file; ///< PEM; "": the system's CA store
  std::string sni;     ///< name sent and verified; "": the endpoint's host
  std::string cert_file, key_file; ///< client certificate (both or neither)
  bool operator==(const upstream_tls_config&) const = default;
};

struct cluster_config {
  std::string name;
  lb_policy lb = lb_policy::round_robin;
  /// ring_hash key: "header:NAME", "cookie:NAME" or "source_ip".
  std::string hash_on = "source_ip";
  std::vector<endpoint_config> endpoints;
  uint32_t connect_timeout_ms = 1000;
  uint32_t max_idle_per_endpoint = 32; ///< keep-alive connections kept
  uint32_t idle_timeout_ms = 30000;
  uint64_t max_response_bytes = 16u << 20;
  health_check_config health;
  outlier_config outlier;
  breaker_config breaker;
  retry_budget_config retry_budget;
  smart_config smart;
  upstream_tls_config tls;
  uint64_t maglev_table_size = 65537; ///< prime; > 100 x endpoints is even
  bool operator==(const cluster_config&) const = default;
};

struct header_match {
  std::string name;
  std::string value; ///< "*": present with any value
};

struct route_match {
  std::string host;   ///< "" any; "api.example.com"; "*.example.com"
  std::string prefix; ///< at most one of prefix / exact / regex
  std::string exact;
  std::string regex;                ///< RE2, full match on the path
  std::vector<std::string> methods; ///< empty: any
  std::vector<header_match> headers;
  std::vector<std::pair<std::string, std::string>> query; ///< "*": present
};

struct header_edit {
  std::vector<std::pair<std::string, std::string>> add; ///< replaces same name
  std::vector<std::string> remove;
};

enum class action_kind { forward, redirect, direct, themisd };

struct forward_action {
  std::string cluster;
  std::optional<std::string> rewrite_prefix; ///< replaces the matched prefix
  std::string host_rewrite;                  ///< "" keeps the client's Host
  uint32_t timeout_ms = 15000;               ///< total, retries included
  uint32_t per_try_timeout_ms = 5000;
  uint32_t retries = 1;        ///< extra attempts (idempotent only)
  uint32_t retry_base_ms = 25; ///< jittered exponential backoff
  uint32_t retry_max_ms = 250;
  bool retry_on_5xx = true;  ///< 502/503/504 from the upstream
  bool coalesce = false;     ///< share identical in-flight GET/HEAD
  bool public_route = false; ///< coalesce across principals
  uint32_t max_waiters = 64; ///< per coalescing key
  /// A waiter still without the leader's answer after this makes its own
  /// call (0: waits as long as the leader, bounded by its timeout).
  uint32_t coalesce_wait_ms = 0;
  uint64_t max_request_bytes = 8u << 20;
  /// A streamed answer (body not whole with its head, status < 500):
  /// bytes read ahead of the client at most, and how long the upstream
  /// may send nothing before the stream ends as broken.
  uint32_t stream_buffer_bytes = 64 * 1024;
  uint32_t stream_idle_timeout_ms = 60000;
};

struct route_config {
  std::string name;
  route_match match;
  action_kind action = action_kind::forward;
  forward_action forward;
  std::string redirect_location; ///< "$path" and "$query" expand
  int redirect_status = 302;
  int direct_status = 200;
  std::string direct_body;
  std::string direct_content_type = "text/plain";
  header_edit request_headers;
  header_edit response_headers;
};

struct gateway_config {
  std::vector<cluster_config> clusters;
  std::vector<route_config> routes;
};

/// Parses and validates the gateway YAML; on error returns nullopt and sets
/// `error` to "KEY: what" (with "line N: " when yaml-cpp knows the line).
std::optional<gateway_config> parse_gateway_yaml(const std::string& text,
                                                 std::string& error);

/// Reads and parses a file; the error starts with the path.
std::optional<gateway_config> load_gateway_file(const std::string& path,
                                                std::string& error);

} // namespace themis::gateway
