#include "config/config_loader.hpp"
#include "limits/rate_limiter.hpp"

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <unistd.h>

namespace themis {

namespace {

using setter =
  std::function<std::optional<std::string>(server_config&, const std::string&)>;
/// The value in effect, for --check-config.
using getter = std::function<YAML::Node(const server_config&)>;

/// One configuration key: how to set it from text and how to read it back.
struct field {
  setter set;
  getter get;
  field(setter s, getter g) : set(std::move(s)), get(std::move(g)) {}
  /// A bare setter (its value is shown as unknown by --check-config).
  template <class F, class = std::enable_if_t<std::is_invocable_v<
                       F&, server_config&, const std::string&>>>
  field(F f) : set(std::move(f)) {}
  std::optional<std::string> operator()(server_config& c,
                                        const std::string& v) const {
    return set(c, v);
  }
};

std::optional<std::string> to_uint(const std::string& v, uint64_t lo,
                                   uint64_t hi, uint64_t& out) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || x < lo ||
      x > hi)
    return "expected an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "], got '" + v + "'";
  out = x;
  return std::nullopt;
}

template <class T, class F>
field uint_field(T server_config::*sec, F T::*member, uint64_t lo,
                 uint64_t hi) {
  return {[=](server_config& c, const std::string& v) {
            uint64_t x = 0;
            if (auto err = to_uint(v, lo, hi, x))
              return err;
            (c.*sec).*member = static_cast<F>(x);
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            return YAML::Node(std::to_string((c.*sec).*member));
          }};
}

template <class T>
field string_field(T server_config::*sec, std::string T::*member,
                   std::vector<std::string> allowed = {}) {
  return {[=](server_config& c, const std::string& v) {
            if (!allowed.empty() &&
                std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
              std::string all;
              for (auto& a : allowed)
                all += (all.empty() ? "" : "|") + a;
              return std::optional<std::string>("expected one of " + all +
                                                ", got '" + v + "'");
            }
            if (allowed.empty() && v.empty())
              return std::optional<std::string>("must not be empty");
            (c.*sec).*member = v;
            return std::optional<std::string>{};
          },
          [=](const server_config& c) { return YAML::Node((c.*sec).*member); }};
}

template <class T>
field bool_field(T server_config::*sec, bool T::*member) {
  return {[=](server_config& c, const std::string& v) {
            if (v == "true" || v == "1" || v == "yes" || v == "on")
              (c.*sec).*member = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off")
              (c.*sec).*member = false;
            else
              return std::optional<std::string>(
                "expected true or false, got '" + v + "'");
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            return YAML::Node((c.*sec).*member ? "true" : "false");
          }};
}

template <class T>
field list_field(T server_config::*sec, std::vector<std::string> T::*member) {
  return {[=](server_config& c, const std::string& v) {
            std::vector<std::string> out;
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ',')) {
              auto b = item.find_first_not_of(" \t");
              auto e = item.find_last_not_of(" \t");
              if (b != std::string::npos)
                out.push_back(item.substr(b, e - b + 1));
            }
            (c.*sec).*member = std::move(out);
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            YAML::Node n(YAML::NodeType::Sequence);
            for (auto& item : (c.*sec).*member)
              n.push_back(item);
            return n;
          }};
}

const std::map<std::string, field>& settings() {
  using sc = server_config;
  static const std::map<std::string, field> table = {
    {"server.bind", string_field(&sc::server, &server_section::bind)},
    {"server.scheduler_threads",
     uint_field(&sc::server, &server_section::scheduler_threads, 0, 256)},
    {"server.io_threads",
     uint_field(&sc::server, &server_section::io_threads, 0, 256)},
    {"server.drain_timeout_ms",
     uint_field(&sc::server, &server_section::drain_timeout_ms, 0, 3600000)},
    {"http.port", uint_field(&sc::http, &http_section::port, 0, 65535)},
    {"http.max_connections",
     uint_field(&sc::http, &http_section::max_connections, 1, 1000000)},
    {"http.max_header_bytes",
     uint_field(&sc::http, &http_section::max_header_bytes, 256, 1 << 20)},
    {"http.max_body_bytes",
     uint_field(&sc::http, &http_section::max_body_bytes, 0, 1ull << 34)},
    {"http.max_headers",
     uint_field(&sc::http, &http_section::max_headers, 1, 10000)},
    {"http.header_timeout_ms",
     uint_field(&sc::http, &http_section::header_timeout_ms, 10, 3600000)},
    {"http.body_timeout_ms",
     uint_field(&sc::http, &http_section::body_timeout_ms, 10, 3600000)},
    {"http.idle_timeout_ms",
     uint_field(&sc::http, &http_section::idle_timeout_ms, 10, 86400000)},
    {"http.max_pipelined",
     uint_field(&sc::http, &http_section::max_pipelined, 1, 1024)},
    {"http.request_timeout_ms",
     uint_field(&sc::http, &http_section::request_timeout_ms, 10, 3600000)},
    {"http.drain_grace_ms",
     uint_field(&sc::http, &http_section::drain_grace_ms, 0, 60000)},
    {"http.server_name", string_field(&sc::http, &http_section::server_name)},
    {"pg.port", uint_field(&sc::pg, &pg_section::port, 0, 65535)},
    {"pg.auth", string_field(&sc::pg, &pg_section::auth,
                             {"trust", "password", "md5", "scram-sha-256"})},
    {"pg.users", string_field(&sc::pg, &pg_section::users)},
    {"pg.database", string_field(&sc::pg, &pg_section::database)},
    {"pg.max_connections",
     uint_field(&sc::pg, &pg_section::max_connections, 1, 100000)},
    {"pg.idle_in_transaction_timeout_ms",
     uint_field(&sc::pg, &pg_section::idle_in_transaction_timeout_ms, 100,
                86400000)},
    {"pg.max_message_bytes",
     uint_field(&sc::pg, &pg_section::max_message_bytes, 1024, 1u << 30)},
    {"mqtt.port", uint_field(&sc::mqtt, &mqtt_section::port, 0, 65535)},
    {"mqtt.allow_anonymous",
     bool_field(&sc::mqtt, &mqtt_section::allow_anonymous)},
    {"mqtt.users", string_field(&sc::mqtt, &mqtt_section::users)},
    {"mqtt.max_connections",
     uint_field(&sc::mqtt, &mqtt_section::max_connections, 1, 1000000)},
    {"mqtt.max_packet_bytes",
     uint_field(&sc::mqtt, &mqtt_section::max_packet_bytes, 64, 268435455)},
    {"mqtt.sys_interval_s",
     uint_field(&sc::mqtt, &mqtt_section::sys_interval_s, 1, 86400)},
    {"mqtt.ingest_prefix",
     string_field(&sc::mqtt, &mqtt_section::ingest_prefix)},
    {"http.h2_max_concurrent_streams",
     uint_field(&sc::http, &http_section::h2_max_concurrent_streams, 1,
                1u << 20)},
    {"http.h2_initial_window_size",
     uint_field(&sc::http, &http_section::h2_initial_window_size, 0,
                0x7FFFFFFF)},
    {"http.h2_max_frame_size",
     uint_field(&sc::http, &http_section::h2_max_frame_size, 16384, 16777215)},
    {"http.h2_max_header_list_size",
     uint_field(&sc::http, &http_section::h2_max_header_list_size, 1024,
                1u << 24)},
    {"auth.required", bool_field(&sc::auth, &auth_section::required)},
    {"auth.jwt_secret", string_field(&sc::auth, &auth_section::jwt_secret)},
    {"auth.jwt_public_key_file",
     string_field(&sc::auth, &auth_section::jwt_public_key_file)},
    {"auth.jwt_jwks_file",
     string_field(&sc::auth, &auth_section::jwt_jwks_file)},
    {"auth.jwt_issuer", string_field(&sc::auth, &auth_section::jwt_issuer)},
    {"auth.jwt_audience", string_field(&sc::auth, &auth_section::jwt_audience)},
    {"auth.jwt_skew_s",
     uint_field(&sc::auth, &auth_section::jwt_skew_s, 0, 86400)},
    {"auth.jwks_refresh_s",
     uint_field(&sc::auth, &auth_section::jwks_refresh_s, 1, 86400)},
    {"auth.scope_claim", string_field(&sc::auth, &auth_section::scope_claim)},
    {"auth.open_metrics", bool_field(&sc::auth, &auth_section::open_metrics)},
    {"auth.tenant_claim", string_field(&sc::auth, &auth_section::tenant_claim)},
    {"auth.roles_claim", string_field(&sc::auth, &auth_section::roles_claim)},
    {"auth.principals", list_field(&sc::auth, &auth_section::principals)},
    {"auth.api_keys", bool_field(&sc::auth, &auth_section::api_keys)},
    {"auth.tenant_quotas", list_field(&sc::auth, &auth_section::tenant_quotas)},
    {"compression.enabled",
     bool_field(&sc::compression, &compression_section::enabled)},
    {"compression.min_bytes",
     uint_field(&sc::compression, &compression_section::min_bytes, 0,
                1u << 30)},
    {"compression.types",
     string_field(&sc::compression, &compression_section::types)},
    {"compression.gzip_level",
     uint_field(&sc::compression, &compression_section::gzip_level, 1, 9)},
    {"compression.br_quality",
     uint_field(&sc::compression, &compression_section::br_quality, 0, 11)},
    {"compression.zstd_level",
     uint_field(&sc::compression, &compression_section::zstd_level, 1, 19)},
    {"compression.max_decoded_bytes",
     uint_field(&sc::compression, &compression_section::max_decoded_bytes, 0,
                1ull << 40)},
    {"tls.cert", string_field(&sc::tls, &tls_section::cert)},
    {"tls.key", string_field(&sc::tls, &tls_section::key)},
    {"tls.sni", string_field(&sc::tls, &tls_section::sni)},
    {"tls.min_version", string_field(&sc::tls, &tls_section::min_version)},
    {"tls.ciphersuites", string_field(&sc::tls, &tls_section::ciphersuites)},
    {"tls.ciphers", string_field(&sc::tls, &tls_section::ciphers)},
    {"tls.client_ca", string_field(&sc::tls, &tls_section::client_ca)},
    {"tls.client_auth", string_field(&sc::tls, &tls_section::client_auth)},
    {"tls.handshake_timeout_ms",
     uint_field(&sc::tls, &tls_section::handshake_timeout_ms, 100, 600000)},
    {"tls.https_port",
     uint_field(&sc::tls, &tls_section::https_port, 0, 65535)},
    {"tls.mqtts_port",
     uint_field(&sc::tls, &tls_section::mqtts_port, 0, 65535)},
    {"mqtt.acl", string_field(&sc::mqtt, &mqtt_section::acl)},
    {"mqtt.acl_file", string_field(&sc::mqtt, &mqtt_section::acl_file)},
    {"mqtt.max_keep_alive",
     uint_field(&sc::mqtt, &mqtt_section::max_keep_alive, 0, 65535)},
    {"mqtt.max_sessions",
     uint_field(&sc::mqtt, &mqtt_section::max_sessions, 1, 100000000)},
    {"mqtt.max_session_expiry_s",
     uint_field(&sc::mqtt, &mqtt_section::max_session_expiry_s, 0,
                0xFFFFFFFFu)},
    {"mqtt.persist_interval_ms",
     uint_field(&sc::mqtt, &mqtt_section::persist_interval_ms, 0, 3600000)},
    {"mqtt.ingest_key_field",
     string_field(&sc::mqtt, &mqtt_section::ingest_key_field)},
    {"mqtt.changes_prefix",
     string_field(&sc::mqtt, &mqtt_section::changes_prefix)},
    {"mqtt.max_queued_bytes",
     uint_field(&sc::mqtt, &mqtt_section::max_queued_bytes, 1024, 1u << 30)},
    {"mqtt.max_queued_messages",
     uint_field(&sc::mqtt, &mqtt_section::max_queued_messages, 1, 1000000)},
    {"engine.data_dir", string_field(&sc::engine, &engine_section::data_dir)},
    {"engine.synchronous",
     string_field(&sc::engine, &engine_section::synchronous,
                  {"full", "normal"})},
    {"engine.readers",
     uint_field(&sc::engine, &engine_section::readers, 1, 64)},
    {"engine.max_group_ops",
     uint_field(&sc::engine, &engine_section::max_group_ops, 1, 1000000)},
    {"engine.busy_timeout_ms",
     uint_field(&sc::engine, &engine_section::busy_timeout_ms, 0, 600000)},
    {"log.level", string_field(&sc::log, &log_section::level,
                               {"trace", "debug", "info", "warn", "error",
                                "critical", "off"})},
    // "" is allowed: standard error, the server log's file
    {"log.file",
     [](server_config& c, const std::string& v) {
       c.log.file = v;
       return std::optional<std::string>{};
     }},
    {"log.journal", bool_field(&sc::log, &log_section::journal)},
    {"log.access", bool_field(&sc::log, &log_section::access)},
    {"log.access_format",
     string_field(&sc::log, &log_section::access_format, {"json", "text"})},
    {"log.access_file",
     [](server_config& c, const std::string& v) {
       c.log.access_file = v;
       return std::optional<std::string>{};
     }},
    {"cors.allowed_origins",
     list_field(&sc::cors, &cors_section::allowed_origins)},
    {"cors.allowed_methods",
     list_field(&sc::cors, &cors_section::allowed_methods)},
    {"cors.allowed_headers",
     list_field(&sc::cors, &cors_section::allowed_headers)},
    {"cors.exposed_headers",
     list_field(&sc::cors, &cors_section::exposed_headers)},
    {"cors.allow_credentials",
     bool_field(&sc::cors, &cors_section::allow_credentials)},
    {"cors.max_age_seconds",
     uint_field(&sc::cors, &cors_section::max_age_seconds, 0, 86400)},
    {"supervision.max_restarts",
     uint_field(&sc::supervision, &supervision_section::max_restarts, 0,
                10000)},
    {"supervision.period_seconds",
     uint_field(&sc::supervision, &supervision_section::period_seconds, 1,
                86400)},
    {"changefeed.heartbeat_ms",
     uint_field(&sc::changefeed, &changefeed_section::heartbeat_ms, 100,
                3600000)},
    {"changefeed.max_queue_events",
     uint_field(&sc::changefeed, &changefeed_section::max_queue_events, 1,
                10000000)},
    {"changefeed.max_queue_bytes",
     uint_field(&sc::changefeed, &changefeed_section::max_queue_bytes, 4096,
                1ull << 40)},
    {"changefeed.long_poll_max_ms",
     uint_field(&sc::changefeed, &changefeed_section::long_poll_max_ms, 0,
                3600000)},
    {"changefeed.retention_max_events",
     uint_field(&sc::changefeed, &changefeed_section::retention_max_events, 0,
                1ull << 62)},
    {"changefeed.retention_max_age_s",
     uint_field(&sc::changefeed, &changefeed_section::retention_max_age_s, 0,
                1ull << 40)},
    {"changefeed.compaction_interval_ms",
     uint_field(&sc::changefeed, &changefeed_section::compaction_interval_ms,
                100, 86400000)},
    {"query.timeout_ms",
     uint_field(&sc::query, &query_section::timeout_ms, 10, 86400000)},
    {"query.max_rows",
     uint_field(&sc::query, &query_section::max_rows, 1, 1ull << 40)},
    {"query.batch_size",
     uint_field(&sc::query, &query_section::batch_size, 1, 1000000)},
    {"query.max_batch_size",
     uint_field(&sc::query, &query_section::max_batch_size, 1, 1000000)},
    {"query.cursor_ttl_s",
     uint_field(&sc::query, &query_section::cursor_ttl_s, 1, 86400)},
    {"query.max_cursors",
     uint_field(&sc::query, &query_section::max_cursors, 1, 1000000)},
    {"query.write_batch",
     uint_field(&sc::query, &query_section::write_batch, 1, 100000)},
    {"jobs.max_running",
     uint_field(&sc::jobs, &jobs_section::max_running, 1, 1024)},
    {"jobs.max_pending",
     uint_field(&sc::jobs, &jobs_section::max_pending, 1, 10000000)},
    {"jobs.default_ttl_s",
     uint_field(&sc::jobs, &jobs_section::default_ttl_s, 1, 1ull << 32)},
    {"jobs.max_ttl_s",
     uint_field(&sc::jobs, &jobs_section::max_ttl_s, 1, 1ull << 32)},
    {"jobs.max_runtime_s",
     uint_field(&sc::jobs, &jobs_section::max_runtime_s, 1, 30 * 86400)},
    {"jobs.max_result_rows",
     uint_field(&sc::jobs, &jobs_section::max_result_rows, 1, 1ull << 40)},
    {"jobs.page_size",
     uint_field(&sc::jobs, &jobs_section::page_size, 1, 1000000)},
    {"jobs.max_page_size",
     uint_field(&sc::jobs, &jobs_section::max_page_size, 1, 1000000)},
    {"jobs.max_wait_s",
     uint_field(&sc::jobs, &jobs_section::max_wait_s, 0, 3600)},
    {"jobs.sweep_interval_ms",
     uint_field(&sc::jobs, &jobs_section::sweep_interval_ms, 100, 86400000)},
    {"rate_limiting.enabled",
     bool_field(&sc::rate_limiting, &rate_limiting_section::enabled)},
    {"rate_limiting.algorithm",
     string_field(
       &sc::rate_limiting, &rate_limiting_section::algorithm,
       {"token_bucket", "sliding_window_counter", "sliding_window_log"})},
    {"rate_limiting.rules",
     {[](server_config& c, const std::string& v) -> std::optional<std::string> {
        auto set =
          list_field(&sc::rate_limiting, &rate_limiting_section::rules);
        if (auto err = set(c, v))
          return err;
        for (auto& text : c.rate_limiting.rules) {
          limits::rule r;
          if (auto err = limits::parse_rule(text, r))
            return err;
        }
        return std::nullopt;
      },
      list_field(&sc::rate_limiting, &rate_limiting_section::rules).get}},
    {"rate_limiting.whitelist",
     list_field(&sc::rate_limiting, &rate_limiting_section::whitelist)},
    {"rate_limiting.dry_run",
     bool_field(&sc::rate_limiting, &rate_limiting_section::dry_run)},
    {"rate_limiting.max_keys",
     uint_field(&sc::rate_limiting, &rate_limiting_section::max_keys, 16,
                100000000)},
    {"rate_limiting.idle_expiry_s",
     uint_field(&sc::rate_limiting, &rate_limiting_section::idle_expiry_s, 1,
                86400)},
    {"overload.max_inflight_requests",
     uint_field(&sc::overload, &overload_section::max_inflight_requests, 1,
                10000000)},
    {"overload.writer_max_queue",
     uint_field(&sc::overload, &overload_section::writer_max_queue, 1,
                10000000)},
    {"overload.writer_target_delay_ms",
     uint_field(&sc::overload, &overload_section::writer_target_delay_ms, 1,
                600000)},
    {"overload.writer_interval_ms",
     uint_field(&sc::overload, &overload_section::writer_interval_ms, 1,
                600000)},
    {"overload.retry_after_s",
     uint_field(&sc::overload, &overload_section::retry_after_s, 1, 3600)},
    {"overload.max_connections_per_ip",
     uint_field(&sc::overload, &overload_section::max_connections_per_ip, 0,
                1000000)},
    {"limits.max_json_depth",
     uint_field(&sc::limits, &limits_section::max_json_depth, 2, 1000)},
    {"limits.max_sql_depth",
     uint_field(&sc::limits, &limits_section::max_sql_depth, 16, 20000)},
    {"limits.max_sql_bytes",
     uint_field(&sc::limits, &limits_section::max_sql_bytes, 1024, 1u << 30)},
    {"limits.max_aql_clauses",
     uint_field(&sc::limits, &limits_section::max_aql_clauses, 8, 100000)},
    {"limits.thread_stack_kb",
     uint_field(&sc::limits, &limits_section::thread_stack_kb, 1024, 1u << 20)},
    {"tracing.enabled",
     bool_field(&sc::tracing, &tracing_section::enabled)},
    {"tracing.endpoint",
     string_field(&sc::tracing, &tracing_section::endpoint)},
    {"tracing.sample_ratio",
     field{[](server_config& c, const std::string& v) {
             char* end = nullptr;
             double x = std::strtod(v.c_str(), &end);
             if (v.empty() || end != v.c_str() + v.size() || !(x >= 0.0) ||
                 x > 1.0)
               return std::optional<std::string>(
                 "expected a number in [0, 1], got '" + v + "'");
             c.tracing.sample_ratio = x;
             return std::optional<std::string>{};
           },
           [](const server_config& c) {
             return YAML::Node(std::to_string(c.tracing.sample_ratio));
           }}},
    {"tracing.service_name",
     string_field(&sc::tracing, &tracing_section::service_name)},
    {"tracing.resource_attributes",
     string_field(&sc::tracing, &tracing_section::resource_attributes)},
    {"tracing.headers", string_field(&sc::tracing, &tracing_section::headers)},
    {"tracing.max_queue_spans",
     uint_field(&sc::tracing, &tracing_section::max_queue_spans, 1, 10000000)},
    {"tracing.max_batch_spans",
     uint_field(&sc::tracing, &tracing_section::max_batch_spans, 1, 100000)},
    {"tracing.flush_interval_ms",
     uint_field(&sc::tracing, &tracing_section::flush_interval_ms, 10,
                3600000)},
    {"tracing.export_timeout_ms",
     uint_field(&sc::tracing, &tracing_section::export_timeout_ms, 10,
                600000)},
    {"breaker.enabled", bool_field(&sc::breaker, &breaker_section::enabled)},
    {"breaker.failure_ratio_pct",
     uint_field(&sc::breaker, &breaker_section::failure_ratio_pct, 1, 100)},
    {"breaker.min_requests",
     uint_field(&sc::breaker, &breaker_section::min_requests, 1, 1000000)},
    {"breaker.window_s",
     uint_field(&sc::breaker, &breaker_section::window_s, 1, 3600)},
    {"breaker.open_ms",
     uint_field(&sc::breaker, &breaker_section::open_ms, 1, 3600000)},
    {"breaker.half_open_requests",
     uint_field(&sc::breaker, &breaker_section::half_open_requests, 1, 1000)},
    {"debug.fault_injection",
     bool_field(&sc::debug, &debug_section::fault_injection)},
    {"debug.crash_routes",
     bool_field(&sc::debug, &debug_section::crash_routes)},
  };
  return table;
}

/// THEMIS_HTTP_PORT for http.port; a few keys also have short twins.
std::string env_name(const std::string& key) {
  std::string out = "THEMIS_";
  for (char c : key)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

const std::map<std::string, std::string>& env_aliases() {
  static const std::map<std::string, std::string> m = {
    {"THEMIS_DATA_DIR", "engine.data_dir"},
    {"THEMIS_BIND", "server.bind"},
    {"THEMIS_LOG_LEVEL", "log.level"},
  };
  return m;
}

} // namespace

std::optional<std::string> apply_setting(server_config& cfg,
                                         const std::string& key,
                                         const std::string& value) {
  auto& table = settings();
  auto it = table.find(key);
  if (it == table.end())
    return "unknown configuration key '" + key + "'";
  if (auto err = it->second(cfg, value))
    return key + ": " + *err;
  return std::nullopt;
}

namespace {

/// "origin:LINE: " for a node of the file (yaml-cpp lines start at 0).
std::string at(const std::string& origin, const YAML::Mark& m) {
  if (m.is_null())
    return origin + ": ";
  return origin + ":" + std::to_string(m.line + 1) + ": ";
}

} // namespace

std::optional<std::string>
apply_yaml(server_config& cfg, const std::string& text,
           const std::string& origin,
           std::map<std::string, std::string>* sources) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return at(origin, e.mark) + "invalid YAML: " + e.msg;
  }
  if (root.IsNull())
    return std::nullopt;
  if (!root.IsMap())
    return at(origin, root.Mark()) + "top level must be a mapping of sections";
  for (auto sec : root) {
    auto section = sec.first.as<std::string>();
    auto where = at(origin, sec.first.Mark());
    if (!sec.second.IsMap()) {
      if (sec.second.IsNull())
        continue;
      bool known = false;
      for (auto& [k, _] : settings())
        known |= k.rfind(section + ".", 0) == 0;
      return where + (known ? section + ": must be a mapping"
                            : "unknown configuration key '" + section + "'");
    }
    for (auto kv : sec.second) {
      auto key = section + "." + kv.first.as<std::string>();
      where = at(origin, kv.first.Mark());
      std::string value;
      if (kv.second.IsSequence()) {
        for (auto item : kv.second) {
          if (!item.IsScalar())
            return at(origin, item.Mark()) + key +
                   ": list items must be scalars";
          value += (value.empty() ? "" : ",") + item.as<std::string>();
        }
      } else if (kv.second.IsScalar()) {
        value = kv.second.as<std::string>();
      } else if (kv.second.IsNull()) {
        value = "";
      } else {
        return where + key + ": expected a scalar value";
      }
      if (auto err = apply_setting(cfg, key, value))
        return where + *err;
      if (sources)
        (*sources)[key] =
          "file " + origin + ":" + std::to_string(kv.first.Mark().line + 1);
    }
  }
  return std::nullopt;
}

/// The built-in PostgreSQL login (pg.users' default) is public knowledge:
/// with auth.required it must not let anyone in, least of all as a global
/// admin. Removes every user:secret pair whose secret equals its user name
/// ("themis:themis") and says so.
void disable_default_credentials(server_config& cfg) {
  if (!cfg.auth.required)
    return;
  std::string kept, dropped;
  size_t pos = 0;
  auto& users = cfg.pg.users;
  while (pos < users.size()) {
    auto end = users.find(',', pos);
    if (end == std::string::npos)
      end = users.size();
    auto entry = users.substr(pos, end - pos);
    auto colon = entry.find(':');
    bool trivial = colon != std::string::npos &&
                   entry.substr(0, colon) == entry.substr(colon + 1);
    auto& to = trivial ? dropped : kept;
    if (!entry.empty())
      to +=
        (to.empty() ? "" : ",") + (trivial ? entry.substr(0, colon) : entry);
    pos = end + 1;
  }
  if (dropped.empty())
    return;
  users = kept;
  cfg.warnings.push_back(
    "pg.users: login(s) '" + dropped +
    "' with the password equal to the user name (the built-in default "
    "themis:themis) are disabled because auth.required is on; configure "
    "real passwords (scripts/hash-password.py) or use tokens");
}

std::optional<std::string> validate_config(server_config& cfg) {
  disable_default_credentials(cfg);
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg.engine.data_dir, ec);
  if (ec)
    return "engine.data_dir: cannot create '" + cfg.engine.data_dir +
           "': " + ec.message();
  if (!fs::is_directory(cfg.engine.data_dir, ec))
    return "engine.data_dir: '" + cfg.engine.data_dir + "' is not a directory";
  if (::access(cfg.engine.data_dir.c_str(), W_OK | X_OK) != 0)
    return "engine.data_dir: '" + cfg.engine.data_dir +
           "' is not writable: " + std::strerror(errno);
  return std::nullopt;
}

std::vector<std::string> default_config_paths() {
  return {"./themisd.yaml", "/etc/themisd/themisd.yaml"};
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
        {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Every THEMIS_* variable themisd reads, and those of the build and test
/// scripts (set in the same shells, never a typo).
std::vector<std::string> known_env_names() {
  // themisctl's server and credential share the environment (issue 28)
  std::vector<std::string> names = {"THEMIS_CONFIG", "THEMIS_TEST_LOGS",
                                    "THEMIS_CMAKE_ARGS", "THEMIS_URL",
                                    "THEMIS_TOKEN"};
  for (auto& [key, _] : settings())
    names.push_back(env_name(key));
  for (auto& [name, _] : env_aliases())
    names.push_back(name);
  return names;
}

/// Secrets are not printed: passwords in user lists, the JWT secret.
YAML::Node masked(const std::string& key, YAML::Node value) {
  if (key == "auth.jwt_secret")
    return YAML::Node(value.as<std::string>().empty() ? "" : "********");
  if (key != "pg.users" && key != "mqtt.users")
    return value;
  std::string out, users = value.as<std::string>();
  std::stringstream ss(users);
  std::string entry;
  while (std::getline(ss, entry, ',')) {
    auto colon = entry.find(':');
    out += (out.empty() ? "" : ",") + entry.substr(0, colon) +
           (colon == std::string::npos ? "" : ":********");
  }
  return YAML::Node(out);
}

} // namespace

std::vector<std::string> unknown_env_warnings(const char* const* env) {
  auto known = known_env_names();
  std::vector<std::string> out;
  for (auto e = env; e && *e; ++e) {
    std::string kv = *e;
    auto name = kv.substr(0, kv.find('='));
    if (name.rfind("THEMIS_", 0) != 0 ||
        std::find(known.begin(), known.end(), name) != known.end())
      continue;
    std::string best;
    size_t best_d = 4; // beyond three edits it is no typo of ours
    for (auto& k : known) {
      auto d = edit_distance(name, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    out.push_back("environment variable " + name +
                  " is not a themisd setting and is ignored" +
                  (best.empty() ? std::string(" (see docs/configuration.md)")
                                : " (did you mean " + best + "?)"));
  }
  return out;
}

std::vector<std::string> changed_keys(const server_config& a,
                                      const server_config& b) {
  std::vector<std::string> out;
  for (auto& [key, f] : settings()) {
    if (!f.get)
      continue;
    YAML::Emitter ea, eb;
    ea << YAML::Flow << f.get(a);
    eb << YAML::Flow << f.get(b);
    if (std::string(ea.c_str()) != eb.c_str())
      out.push_back(key);
  }
  return out;
}

std::string describe_config(const load_outcome& o) {
  std::string out = "# themisd effective configuration (";
  out +=
    o.config_file.empty() ? "no configuration file" : "file " + o.config_file;
  out += "); each value is followed by its source\n";
  for (auto& w : o.config.warnings)
    out += "# warning: " + w + "\n";
  std::string section;
  for (auto& [key, f] : settings()) {
    auto dot = key.find('.');
    if (key.substr(0, dot) != section) {
      section = key.substr(0, dot);
      out += section + ":\n";
    }
    YAML::Emitter e;
    e << YAML::Flow;
    if (f.get)
      e << masked(key, f.get(o.config));
    else
      e << YAML::Null;
    auto src = o.sources.find(key);
    out += "  " + key.substr(dot + 1) + ": " + e.c_str() + "  # " +
           (src == o.sources.end() ? "default" : src->second) + "\n";
  }
  return out;
}

load_outcome load_config(int argc, const char* const* argv,
                         const char* const* env, const char* version,
                         const std::vector<std::string>* search) {
  load_outcome out;
  CLI::App app{"themisd — ThemisDB network and API server"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  std::string config_file, data_dir, http_port, pg_port, mqtt_port, bind,
    log_level, https_port, mqtts_port, tls_cert, tls_key;
  std::vector<std::string> sets;
  bool show_version = false, check_config = false;
  app.add_option("--config", config_file,
                 "YAML configuration file (else THEMIS_CONFIG, "
                 "./themisd.yaml, /etc/themisd/themisd.yaml)");
  app.add_option("--data-dir", data_dir, "Data directory (engine.data_dir)");
  app.add_option("--http-port", http_port, "HTTP port, 0 disables (http.port)");
  app.add_option("--pg-port", pg_port, "PostgreSQL port, 0 disables (pg.port)");
  app.add_option("--mqtt-port", mqtt_port, "MQTT port, 0 disables (mqtt.port)");
  app.add_option("--https-port", https_port,
                 "HTTPS port, 0 disables (tls.https_port)");
  app.add_option("--mqtts-port", mqtts_port,
                 "MQTT over TLS port, 0 disables (tls.mqtts_port)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain (tls.cert)");
  app.add_option("--tls-key", tls_key, "PEM private key (tls.key)");
  app.add_option("--bind", bind, "Listen address (server.bind)");
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|critical|off (log.level)");
  app.add_option("--set", sets, "Override any key: --set section.key=value");
  app.add_flag("--check-config", check_config,
               "Print the effective configuration with each value's source "
               "and exit (0: valid, 2: error)");
  app.add_flag("--version", show_version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.exit_code = 0;
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = 2;
    out.message = std::string("themisd: ") + e.what();
    return out;
  }
  if (show_version) {
    out.exit_code = 0;
    out.message = std::string("themisd ") + version;
    return out;
  }
  auto fail = [&](std::string msg) {
    out.exit_code = 2;
    out.message = "themisd: config error: " + msg;
    return out;
  };
  std::map<std::string, std::string> envs;
  for (auto e = env; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("THEMIS_", 0) == 0)
      envs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::string chosen_by;
  if (!config_file.empty()) {
    chosen_by = "--config";
  } else if (envs.count("THEMIS_CONFIG") && !envs["THEMIS_CONFIG"].empty()) {
    config_file = envs["THEMIS_CONFIG"];
    chosen_by = "THEMIS_CONFIG";
  } else {
    auto paths = search ? *search : default_config_paths();
    std::string tried;
    for (auto& p : paths) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec)) {
        config_file = p;
        break;
      }
      tried += (tried.empty() ? "" : ", ") + p;
    }
    chosen_by = config_file.empty()
                  ? "searched " + (tried.empty() ? "nothing" : tried)
                  : "found by the default search";
  }
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in)
      return fail(chosen_by + ": cannot read '" + config_file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto err = apply_yaml(out.config, ss.str(), config_file, &out.sources))
      return fail(*err);
    out.config_file = config_file;
    out.config.notices.push_back("configuration file " + config_file + " (" +
                                 chosen_by + ")");
  } else {
    out.config.notices.push_back("no configuration file (" + chosen_by +
                                 "): defaults, THEMIS_* variables and flags");
  }
  for (auto& [key, _] : settings()) {
    auto it = envs.find(env_name(key));
    if (it != envs.end()) {
      if (auto err = apply_setting(out.config, key, it->second))
        return fail(it->first + ": " + *err);
      out.sources[key] = "env " + it->first;
    }
  }
  for (auto& [name, key] : env_aliases()) {
    auto it = envs.find(name);
    if (it != envs.end()) {
      if (auto err = apply_setting(out.config, key, it->second))
        return fail(name + ": " + *err);
      out.sources[key] = "env " + name;
    }
  }
  std::tuple<const char*, std::string*, const char*> flags[] = {
    {"engine.data_dir", &data_dir, "--data-dir"},
    {"http.port", &http_port, "--http-port"},
    {"pg.port", &pg_port, "--pg-port"},
    {"mqtt.port", &mqtt_port, "--mqtt-port"},
    {"server.bind", &bind, "--bind"},
    {"log.level", &log_level, "--log-level"},
    {"tls.https_port", &https_port, "--https-port"},
    {"tls.mqtts_port", &mqtts_port, "--mqtts-port"},
    {"tls.cert", &tls_cert, "--tls-cert"},
    {"tls.key", &tls_key, "--tls-key"},
  };
  for (auto& [key, val, flag] : flags)
    if (!val->empty()) {
      if (auto err = apply_setting(out.config, key, *val))
        return fail(std::string(flag) + ": " + *err);
      out.sources[key] = std::string("flag ") + flag;
    }
  for (auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      return fail("--set expects section.key=value, got '" + s + "'");
    auto key = s.substr(0, eq);
    if (auto err = apply_setting(out.config, key, s.substr(eq + 1)))
      return fail("--set " + *err);
    out.sources[key] = "flag --set";
  }
  for (auto& w : unknown_env_warnings(env))
    out.config.warnings.push_back(w);
  if (auto err = validate_config(out.config))
    return fail(*err);
  if (check_config) {
    out.exit_code = 0;
    out.message = describe_config(out);
  }
  return out;
}

} // namespace themis
