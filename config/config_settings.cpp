/// The configuration keys: parsers with ranges per key, and getters for
/// --check-config (split from config_loader.cpp, which applies them).

#include "config/config_settings.hpp"
#include "config/config_fields.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <vector>

#include "cluster/redis_url.hpp"
#include "limits/rate_limiter.hpp"
#include "themis/user_list.hpp"

namespace themis::config_detail {

const std::map<std::string, field>& settings() {
  using sc = server_config;
  static const std::map<std::string, field> table = [] {
    std::map<std::string, field> t = {
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
                             {"trust", "password", "md5", "scram-sha-256",
                              "gss"})},
    {"pg.auth_rules", list_field(&sc::pg, &pg_section::auth_rules)},
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
    {"mqtt.ws_path", path_field(&sc::mqtt, &mqtt_section::ws_path)},
    {"pg.ws_path", path_field(&sc::pg, &pg_section::ws_path)},
    {"http.ws_deflate", bool_field(&sc::http, &http_section::ws_deflate)},
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
    // issue 19: HTTP/3 ("https" or -1: the HTTPS port number)
    {"tls.h3_port",
     field([](server_config& c, const std::string& v) {
       if (v == "-1" || v == "https") {
         c.tls.h3_port = -1;
         return std::optional<std::string>{};
       }
       uint64_t x = 0;
       if (auto err = to_uint(v, 0, 65535, x))
         return err;
       c.tls.h3_port = static_cast<int>(x);
       return std::optional<std::string>{};
     },
     [](const server_config& c) {
       return YAML::Node(c.tls.h3_port < 0 ? std::string("https")
                                          : std::to_string(c.tls.h3_port));
     })},
    {"tls.h3_retry", bool_field(&sc::tls, &tls_section::h3_retry)},
    {"tls.h3_cc",
     string_field(&sc::tls, &tls_section::h3_cc,
                  {"cubic", "reno", "bbr", "bbr2"})},
    {"tls.h3_max_streams",
     uint_field(&sc::tls, &tls_section::h3_max_streams, 1, 10000)},
    {"tls.h3_max_data",
     uint_field(&sc::tls, &tls_section::h3_max_data, 65536, 1ull << 30)},
    {"tls.h3_max_stream_data",
     uint_field(&sc::tls, &tls_section::h3_max_stream_data, 16384,
                1ull << 30)},
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
    {"engine.index_build_chunk",
     uint_field(&sc::engine, &engine_section::index_build_chunk, 1, 1000000)},
    {"engine.index_build_pause_ms",
     uint_field(&sc::engine, &engine_section::index_build_pause_ms, 0, 60000)},
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
    // issue 22: edge caching (docs/caching.md)
    {"cache.enabled", bool_field(&sc::cache, &cache_section::enabled)},
    {"cache.authenticated_public",
     bool_field(&sc::cache, &cache_section::authenticated_public)},
    {"cache.purge_url", string_field(&sc::cache, &cache_section::purge_url)},
    {"cache.purge_method",
     string_field(&sc::cache, &cache_section::purge_method)},
    {"cache.purge_header",
     string_field(&sc::cache, &cache_section::purge_header)},
    {"cache.purge_token", string_field(&sc::cache, &cache_section::purge_token)},
    {"cache.purge_token_header",
     string_field(&sc::cache, &cache_section::purge_token_header)},
    {"cache.purge_delay_ms",
     uint_field(&sc::cache, &cache_section::purge_delay_ms, 0, 60000)},
    {"cache.purge_queue_bytes",
     uint_field(&sc::cache, &cache_section::purge_queue_bytes, 1024,
                1ull << 30)},
    {"cache.purge_max_header_bytes",
     uint_field(&sc::cache, &cache_section::purge_max_header_bytes, 256,
                1u << 20)},
    {"cache.purge_timeout_ms",
     uint_field(&sc::cache, &cache_section::purge_timeout_ms, 10, 600000)},
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
    // --- graphql (issue 21) begin ---
    {"graphql.enabled", bool_field(&sc::graphql, &graphql_section::enabled)},
    {"graphql.max_query_bytes",
     uint_field(&sc::graphql, &graphql_section::max_query_bytes, 64, 1u << 24)},
    {"graphql.max_depth",
     uint_field(&sc::graphql, &graphql_section::max_depth, 1, 1000)},
    {"graphql.max_aliases",
     uint_field(&sc::graphql, &graphql_section::max_aliases, 0, 100000)},
    {"graphql.max_complexity",
     uint_field(&sc::graphql, &graphql_section::max_complexity, 1, 1u << 30)},
    {"graphql.timeout_ms",
     uint_field(&sc::graphql, &graphql_section::timeout_ms, 10, 86400000)},
    {"graphql.introspection",
     bool_field(&sc::graphql, &graphql_section::introspection)},
    {"graphql.batching", bool_field(&sc::graphql, &graphql_section::batching)},
    {"graphql.max_batch",
     uint_field(&sc::graphql, &graphql_section::max_batch, 1, 1000)},
    {"graphql.persisted_queries",
     bool_field(&sc::graphql, &graphql_section::persisted_queries)},
    {"graphql.max_persisted",
     uint_field(&sc::graphql, &graphql_section::max_persisted, 1, 1000000)},
    {"graphql.max_list",
     uint_field(&sc::graphql, &graphql_section::max_list, 1, 1000000)},
    {"graphql.init_timeout_ms",
     uint_field(&sc::graphql, &graphql_section::init_timeout_ms, 100, 3600000)},
    {"graphql.max_subscriptions",
     uint_field(&sc::graphql, &graphql_section::max_subscriptions, 1, 10000)},
    // --- graphql (issue 21) end ---
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
    {"rate_limiting.groups",
     {[](server_config& c, const std::string& v) -> std::optional<std::string> {
        auto set =
          list_field(&sc::rate_limiting, &rate_limiting_section::groups);
        if (auto err = set(c, v))
          return err;
        for (auto& text : c.rate_limiting.groups) {
          limits::rule r;
          if (auto err = limits::parse_group_rule(text, r))
            return err;
        }
        return std::nullopt;
      },
      list_field(&sc::rate_limiting, &rate_limiting_section::groups).get}},
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
    // issue 25: the Redis backend (docs/cluster.md)
    {"rate_limiting.backend",
     string_field(&sc::rate_limiting, &rate_limiting_section::backend,
                  {"local", "redis"})},
    {"rate_limiting.redis.url",
     {[](server_config& c, const std::string& v) -> std::optional<std::string> {
        auto set =
          list_field(&sc::rate_limiting, &rate_limiting_section::redis_urls);
        if (auto err = set(c, v))
          return err;
        if (c.rate_limiting.redis_urls.empty())
          return std::string("needs at least one redis:// URL");
        for (auto& text : c.rate_limiting.redis_urls) {
          cluster::redis_url u;
          if (auto err = cluster::parse_redis_url(text, u))
            return err;
        }
        return std::nullopt;
      },
      list_field(&sc::rate_limiting, &rate_limiting_section::redis_urls).get}},
    {"rate_limiting.redis.timeout_ms",
     uint_field(&sc::rate_limiting, &rate_limiting_section::redis_timeout_ms,
                1, 10000)},
    {"rate_limiting.redis.key_prefix",
     string_field(&sc::rate_limiting,
                  &rate_limiting_section::redis_key_prefix)},
    {"rate_limiting.redis.nodes_hint",
     uint_field(&sc::rate_limiting, &rate_limiting_section::redis_nodes_hint,
                1, 10000)},
    {"rate_limiting.redis.max_pending",
     uint_field(&sc::rate_limiting, &rate_limiting_section::redis_max_pending,
                1, 10000000)},
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
    {"mcp.enabled", bool_field(&sc::mcp, &mcp_section::enabled)},
    // issue 20: gRPC-web/Connect CORS
    {"grpc.web_cors_origins",
     list_field(&sc::grpc, &grpc_section::web_cors_origins)},
    {"grpc.interop_test_service",
     bool_field(&sc::grpc, &grpc_section::interop_service)},
    {"mcp.allowed_origins",
     list_field(&sc::mcp, &mcp_section::allowed_origins)},
    {"mcp.allow_localhost_origins",
     bool_field(&sc::mcp, &mcp_section::allow_localhost_origins)},
    {"mcp.authorization_servers",
     list_field(&sc::mcp, &mcp_section::authorization_servers)},
    {"mcp.resource_url",
     field{[](server_config& c, const std::string& v) {
             c.mcp.resource_url = v;
             return std::optional<std::string>{};
           },
           [](const server_config& c) {
             return YAML::Node(c.mcp.resource_url);
           }}},
    {"mcp.max_sessions",
     uint_field(&sc::mcp, &mcp_section::max_sessions, 1, 1000000)},
    {"mcp.max_sessions_per_principal",
     uint_field(&sc::mcp, &mcp_section::max_sessions_per_principal, 1,
                1000000)},
    {"mcp.session_idle_s",
     uint_field(&sc::mcp, &mcp_section::session_idle_s, 1, 604800)},
    {"mcp.max_subscriptions",
     uint_field(&sc::mcp, &mcp_section::max_subscriptions, 1, 100000)},
    {"mcp.max_rows", uint_field(&sc::mcp, &mcp_section::max_rows, 1, 1000000)},
    {"mcp.replay_events",
     uint_field(&sc::mcp, &mcp_section::replay_events, 0, 10000000)},
    {"mcp.max_batch", uint_field(&sc::mcp, &mcp_section::max_batch, 1, 1000)},
    // issue 27: serverless WebAssembly functions (docs/functions.md)
    {"functions.enabled",
     bool_field(&sc::functions, &functions_section::enabled)},
    {"functions.fuel",
     uint_field(&sc::functions, &functions_section::fuel, 1000,
                100000000000ull)},
    {"functions.timeout_ms",
     uint_field(&sc::functions, &functions_section::timeout_ms, 1, 600000)},
    {"functions.memory_pages",
     uint_field(&sc::functions, &functions_section::memory_pages, 1, 65536)},
    {"functions.output_bytes",
     uint_field(&sc::functions, &functions_section::output_bytes, 1,
                256u << 20)},
    {"functions.log_bytes",
     uint_field(&sc::functions, &functions_section::log_bytes, 0, 1u << 20)},
    {"functions.max_concurrent",
     uint_field(&sc::functions, &functions_section::max_concurrent, 1, 10000)},
    {"functions.tenant_max_concurrent",
     uint_field(&sc::functions, &functions_section::tenant_max_concurrent, 1,
                100000)},
    {"functions.max_module_bytes",
     uint_field(&sc::functions, &functions_section::max_module_bytes, 8,
                256u << 20)},
    {"functions.trigger_max_attempts",
     uint_field(&sc::functions, &functions_section::trigger_max_attempts, 1,
                100)},
    {"functions.trigger_backoff_ms",
     uint_field(&sc::functions, &functions_section::trigger_backoff_ms, 1,
                600000)},
    {"functions.trigger_queue",
     uint_field(&sc::functions, &functions_section::trigger_queue, 1,
                100000)},
    // issue 29: the web console's files (docs/console.md)
    {"console.dir", string_field(&sc::console, &console_section::dir)},
    {"gateway.file", string_field(&sc::gateway, &gateway_section::file)},
    // issue 25: etcd membership and replicated configuration
    {"cluster.node_id",
     {[](server_config& c, const std::string& v) -> std::optional<std::string> {
        if (v.size() > 64 ||
            v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
                                "RSTUVWXYZ0123456789._-") != std::string::npos)
          return std::string("1-64 characters of [A-Za-z0-9._-]");
        c.cluster.node_id = v;
        return std::nullopt;
      },
      string_field(&sc::cluster, &cluster_section::node_id).get}},
    {"cluster.etcd.endpoints",
     list_field(&sc::cluster, &cluster_section::etcd_endpoints)},
    {"cluster.etcd.prefix",
     string_field(&sc::cluster, &cluster_section::etcd_prefix)},
    {"cluster.etcd.user",
     string_field(&sc::cluster, &cluster_section::etcd_user)},
    {"cluster.etcd.password",
     string_field(&sc::cluster, &cluster_section::etcd_password)},
    {"cluster.etcd.ca_file",
     string_field(&sc::cluster, &cluster_section::etcd_ca_file)},
    {"cluster.lease_ttl_s",
     uint_field(&sc::cluster, &cluster_section::lease_ttl_s, 1, 60)},
    {"cluster.request_timeout_ms",
     uint_field(&sc::cluster, &cluster_section::request_timeout_ms, 50,
                60000)},
    {"cluster.ring_vnodes",
     uint_field(&sc::cluster, &cluster_section::ring_vnodes, 1, 4096)},
    {"cluster.advertise",
     string_field(&sc::cluster, &cluster_section::advertise)},
    {"cluster.leader_duties",
     {[](server_config& c, const std::string& v) -> std::optional<std::string> {
        auto set =
          list_field(&sc::cluster, &cluster_section::leader_duties);
        if (auto err = set(c, v))
          return err;
        for (auto& d : c.cluster.leader_duties)
          if (d != "ttl_sweep" && d != "jobs_sweep")
            return "unknown duty '" + d + "' (ttl_sweep, jobs_sweep)";
        return std::nullopt;
      },
      list_field(&sc::cluster, &cluster_section::leader_duties).get}},
    {"debug.fault_injection",
     bool_field(&sc::debug, &debug_section::fault_injection)},
    {"debug.crash_routes",
     bool_field(&sc::debug, &debug_section::crash_routes)},
  };
    add_identity_settings(t);
    return t;
  }();
  return table;
}

} // namespace themis::config_detail
