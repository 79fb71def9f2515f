#include "actors/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <thread>
#include <unistd.h>

#include "actors/admin_users.hpp"
#include "protocols/pgwire/pg_auth_rules.hpp"
#include "actors/changefeed_hub.hpp"
#include "actors/ranger_setup.hpp"
#include "actors/function_triggers.hpp"
#include "actors/config_reload.hpp"
#include "actors/h3_alt_svc.hpp"
#include "actors/h3_listener.hpp"
#include "actors/h3_messages.hpp"
#include "actors/http_connection_actor.hpp"
#include "actors/http_listener.hpp"
#include "actors/jobs_manager.hpp"
#include "engine/search/search_service.hpp"
#include "engine/store_schema.hpp"
#include "actors/limits_keeper.hpp"
#include "auth/oauth2/server_setup.hpp"
#include "auth/saml/saml_setup.hpp"
#include "actors/redis_limiter.hpp"
#include "actors/cluster_node.hpp"
#include "actors/gateway_hub.hpp"
#include "handlers/prometheus_text.hpp"
#include "actors/ttl_sweeper.hpp"
#include "actors/index_builder.hpp"
#include "config/config_json.hpp"
#include "actors/listener_ports.hpp"
#include "actors/messages.hpp"
#include "actors/metrics_collectors.hpp"
#include "actors/mqtt_broker.hpp"
#include "actors/mqtt_connection.hpp"
#include "actors/pg_connection.hpp"
#include "actors/pg_notify_hub.hpp"
#include "actors/cache_purger.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/pg_sql_hooks.hpp"
#include "actors/server_context.hpp"
#include "actors/service_notifier.hpp"
#include "actors/store_writer_actor.hpp"
#include "actors/tls_setup.hpp"
#include "handlers/function_handlers.hpp"
#include "handlers/prometheus_text.hpp"
#include "handlers/server_log.hpp"
#include "limits/rate_limiter.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"
#include "protocols/pgwire/pg_codec.hpp"
#include "supervision/supervisor.hpp"
#include "tracing/config_of.hpp"

namespace themis {

namespace asio = boost::asio;

namespace {

/// The server log and the access log (handlers/server_log.hpp): stderr, a
/// file or the journal.
void setup_logging(const log_section& cfg) {
  if (auto err = server_log::start(cfg))
    spdlog::error("{}; logging to standard error", *err);
}

/// 0 means "half the cores" (at least one): the CAF workers and the Asio
/// threads share the machine. Measured on 2 cores: one of each costs
/// ~20 µs CPU per GET against ~27 µs with two of each, whose extra
/// wake-ups and work stealing show up as futex calls (docs/performance.md).
unsigned half_cores_or(uint32_t n) {
  if (n > 0)
    return n;
  auto hc = std::thread::hardware_concurrency();
  return hc < 2 ? 1 : hc / 2;
}

/// Child spec whose start function registers the new handle by name, so
/// users always find the current incarnation.
child_spec registered_child(std::string name, caf::atom_value reg_name,
                            std::function<caf::actor(caf::actor_system&)> f) {
  child_spec spec;
  spec.name = std::move(name);
  spec.start = [reg_name, f](caf::actor_system& sys) {
    auto a = f(sys);
    // CAF 0.17's put() does not replace an existing entry (it emplaces):
    // without the erase, everyone would keep finding the dead incarnation.
    sys.registry().erase(reg_name);
    sys.registry().put(reg_name, caf::actor_cast<caf::strong_actor_ptr>(a));
    return a;
  };
  return spec;
}

} // namespace

caf::actor registered(caf::actor_system& sys, caf::atom_value name) {
  return caf::actor_cast<caf::actor>(sys.registry().get(name));
}

/// The limiter's view of the rate_limiting section (validated by the
/// config loader, so rules parse).
std::shared_ptr<const limits::limiter_config>
limiter_config_of(const rate_limiting_section& rl) {
  auto c = std::make_shared<limits::limiter_config>();
  c->enabled = rl.enabled;
  limits::parse_algorithm(rl.algorithm, c->algo);
  for (auto& text : rl.rules) {
    limits::rule r;
    if (!limits::parse_rule(text, r))
      c->rules.push_back(std::move(r));
  }
  for (auto& text : rl.groups) { // issue 22: per registry rate group
    limits::rule r;
    if (!limits::parse_group_rule(text, r))
      c->groups.push_back(std::move(r));
  }
  c->whitelist = rl.whitelist;
  c->exempt_prefixes = priority_prefixes(); // one list for limits and shedding
  c->dry_run = rl.dry_run;
  c->max_keys = rl.max_keys;
  c->idle_expiry_ns = static_cast<int64_t>(rl.idle_expiry_s) * 1'000'000'000;
  return c;
}

void configure_overload(server_context& ctx, const server_config& cfg) {
  ctx.limiter.configure(limiter_config_of(cfg.rate_limiting));
  limits::admission::config ac;
  ac.max_queue = cfg.overload.writer_max_queue;
  ac.target_ns = int64_t{cfg.overload.writer_target_delay_ms} * 1'000'000;
  ac.interval_ns = int64_t{cfg.overload.writer_interval_ms} * 1'000'000;
  ctx.writer_admission.configure(ac);
  limits::breaker_config bc;
  bc.enabled = cfg.breaker.enabled;
  bc.failure_ratio = cfg.breaker.failure_ratio_pct / 100.0;
  bc.min_requests = cfg.breaker.min_requests;
  bc.window_ns = int64_t{cfg.breaker.window_s} * 1'000'000'000;
  bc.open_ns = int64_t{cfg.breaker.open_ms} * 1'000'000;
  bc.half_open_requests = cfg.breaker.half_open_requests;
  ctx.writer_breaker = std::make_unique<limits::circuit_breaker>(bc);
}

int run_server(const server_config& cfg, const char* version,
               config_reloader reload) {
  setup_logging(cfg.log);
  // SQLite's memory statistics take a process-wide mutex on every
  // allocation; nothing reads them, and every SQL backend thread pays
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  auto ctx = std::make_shared<server_context>();
  ctx->config = cfg;

  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  so.synchronous_full = cfg.engine.synchronous == "full";
  so.busy_timeout_ms = static_cast<int>(cfg.engine.busy_timeout_ms);
  so.readers = cfg.engine.readers;
  so.max_group_ops = cfg.engine.max_group_ops;
  try {
    ctx->store = std::make_shared<engine::store_writer>(so);
    ctx->reader = std::make_unique<engine::reader_pool>(so);
  } catch (const std::exception& e) {
    spdlog::critical("engine.data_dir: cannot open the store in '{}': {}",
                     cfg.engine.data_dir, e.what());
    return 1;
  }
  // Vector and full-text indexes follow the change log (issue 32); their
  // applier thread starts now and stops after every actor has ended.
  search::search_options search_opts;
  search_opts.data_dir = cfg.engine.data_dir;
  search_opts.store_path = engine::database_path(so);
  search_opts.busy_timeout_ms = static_cast<int>(cfg.engine.busy_timeout_ms);
  auto search_svc = std::make_unique<search::search_service>(search_opts);
  try {
    search_svc->start();
    search::search_service::set_global(search_svc.get());
  } catch (const std::exception& e) {
    spdlog::error("search indexes unavailable: {}", e.what());
  }
  struct search_stop {
    std::unique_ptr<search::search_service>& svc;
    ~search_stop() {
      search::search_service::set_global(nullptr);
      svc->stop(); // saves the vector indexes
    }
  } stop_search{search_svc};
  ctx->metrics.engine_open = true;
  ctx->metrics.engine_last_sequence = ctx->store->last_sequence();
  ctx->cursors = std::make_unique<cursor_store>(
    std::chrono::seconds(cfg.query.cursor_ttl_s), cfg.query.max_cursors);
  ctx->transactions = std::make_unique<http_tx_store>();
  configure_overload(*ctx, cfg);
  {
    auto& c = cfg.compression;
    auto& o = ctx->coding;
    o.enabled = c.enabled;
    o.min_bytes = c.min_bytes;
    o.lv = {c.gzip_level, c.br_quality, c.zstd_level};
    o.max_request_bytes =
      c.max_decoded_bytes ? c.max_decoded_bytes : cfg.http.max_body_bytes;
    std::string_view types = c.types;
    while (!types.empty()) {
      auto comma = types.find(',');
      auto t = types.substr(0, comma);
      while (!t.empty() && t.front() == ' ')
        t.remove_prefix(1);
      if (!t.empty())
        o.extra_types.emplace_back(t);
      types = comma == std::string_view::npos ? std::string_view{}
                                              : types.substr(comma + 1);
    }
  }
  try {
    auto auth_db = engine::api_key_store::path_in(cfg.engine.data_dir);
    auto busy = static_cast<int>(cfg.engine.busy_timeout_ms);
    if (cfg.auth.api_keys)
      ctx->api_keys = std::make_unique<engine::api_key_store>(auth_db, busy);
    ctx->audit = std::make_unique<engine::audit_log>(auth_db, busy);
  } catch (const std::exception& e) {
    spdlog::critical("engine.data_dir: cannot open auth.db in '{}': {}",
                     cfg.engine.data_dir, e.what());
    return 1;
  }
  try { // issue 27: uploaded WebAssembly functions
    auto& f = cfg.functions;
    functions::registry_config fc;
    fc.defaults = {f.fuel,         f.timeout_ms, f.memory_pages,
                   f.output_bytes, f.log_bytes,  f.max_concurrent};
    fc.tenant_concurrent = f.tenant_max_concurrent;
    fc.max_module_bytes = f.max_module_bytes;
    std::vector<std::string> warnings;
    if (f.enabled)
      ctx->functions = std::make_unique<functions::function_registry>(
        functions::function_registry::path_in(cfg.engine.data_dir),
        static_cast<int>(cfg.engine.busy_timeout_ms), fc, warnings);
    for (auto& w : warnings)
      spdlog::warn("functions: {}", w);
    if (auto* reg = ctx->functions.get())
      ctx->metrics.add_collector([reg](prometheus_text& out) {
        render_function_metrics(*reg, out);
      });
  } catch (const std::exception& e) {
    spdlog::critical("engine.data_dir: cannot open functions.db in '{}': {}",
                     cfg.engine.data_dir, e.what());
    return 1;
  }
  {
    std::string error;
    ctx->authn =
      auth::authenticator::create(cfg.auth, ctx->api_keys.get(), error);
    if (!ctx->authn) {
      std::fprintf(stderr, "themisd: config error: auth: %s\n", error.c_str());
      return 2;
    }
    std::map<std::string, limits::tenant_quota> q;
    if (auto bad = limits::tenant_quotas::parse(cfg.auth.tenant_quotas, q)) {
      std::fprintf(stderr, "themisd: config error: %s\n", bad->c_str());
      return 2;
    }
    ctx->quotas = std::make_unique<limits::tenant_quotas>(std::move(q));
    // issue 24: Kerberos (keytab read now: a bad one stops the start)
    ctx->kerberos = auth::kerberos::kerberos_auth::create(
      cfg.auth, pgwire::selects_gss(cfg.pg.auth, cfg.pg.auth_rules), error);
    if (!ctx->kerberos && !error.empty()) {
      std::fprintf(stderr, "themisd: config error: auth.kerberos: %s\n",
                   error.c_str());
      return 2;
    }
    if (!pgwire::pg_auth_rules::parse(cfg.pg.auth_rules, error)) {
      std::fprintf(stderr, "themisd: config error: %s\n", error.c_str());
      return 2;
    }
    if (!ctx->kerberos &&
        pgwire::selects_gss(cfg.pg.auth, cfg.pg.auth_rules)) {
      std::fprintf(stderr, "themisd: config error: pg.auth gss needs "
                           "auth.kerberos.keytab\n");
      return 2;
    }
    if (auto rc = start_ranger(*ctx); rc != 0)
      return rc;
  }
  try { // issue 24: the OAuth2 / OIDC provider, its state in auth.db
    std::string error;
    ctx->oauth2 = auth::oauth2::create_server_provider(
      cfg, engine::api_key_store::path_in(cfg.engine.data_dir), ctx->authn,
      error);
    if (!ctx->oauth2 && !error.empty()) {
      std::fprintf(stderr, "themisd: config error: %s\n", error.c_str());
      return 2;
    }
    if (!error.empty())
      spdlog::warn("oauth2: {}", error);
  } catch (const std::exception& e) {
    spdlog::critical("oauth2: cannot open auth.db: {}", e.what());
    return 1;
  }
  if (cfg.auth.usb_admin_enabled) { // issue 24: USB admin keys
    auto& a = cfg.auth;
    auth::usb_admin::login_config uc;
    uc.token_ttl_s = a.usb_admin_token_ttl_s;
    uc.challenge_ttl_s = a.usb_admin_challenge_ttl_s;
    uc.max_failures_per_min = a.usb_admin_max_failures;
    uc.challenges_per_min = a.usb_admin_challenges_per_min;
    uc.removable = a.usb_admin_removable;
    uc.sysfs_root = a.usb_admin_sysfs_root;
    uc.scope_claim = a.scope_claim;
    std::string error;
    ctx->usb_admin = auth::usb_admin::login_service::create(
      uc, cfg.engine.data_dir, error);
    if (!ctx->usb_admin) {
      std::fprintf(stderr, "themisd: config error: %s\n", error.c_str());
      return 2;
    }
    ctx->authn->add_local_verifier(
      [raw = ctx->usb_admin.get()](std::string_view token, int64_t now_s,
                                   std::string& err, bool& mine) {
        return raw->verify_token(token, now_s, err, mine);
      });
    std::string why;
    spdlog::info("usb_admin: {} enrolled key(s), removable check {}",
                 ctx->usb_admin->keys().list(&why).size(), uc.removable);
    if (!why.empty())
      spdlog::warn("usb_admin: {}", why);
  }
  { // issue 24: the SAML 2.0 SP; its logins mint the provider's tokens
    std::string error;
    ctx->saml =
      auth::saml::create_server_saml(cfg, ctx->oauth2.get(), error);
    if (!ctx->saml && !error.empty()) {
      std::fprintf(stderr, "themisd: config error: %s\n", error.c_str());
      return 2;
    }
    if (ctx->saml)
      spdlog::info("saml: SP {} trusts IdP {}", ctx->saml->urls().entity_id,
                   ctx->saml->idp_entity_id());
  }
  if (!cfg.auth.trusted_issuers.empty()) { // issue 24: external IdPs
    std::vector<auth::trusted::issuer_config> issuers;
    for (auto& text : cfg.auth.trusted_issuers) {
      auth::trusted::issuer_config ic;
      std::string error;
      if (!auth::trusted::parse_issuer_config(text, ic, error)) {
        std::fprintf(stderr, "themisd: config error: auth.trusted_issuers: "
                             "%s\n",
                     error.c_str());
        return 2;
      }
      issuers.push_back(std::move(ic));
    }
    auth::trusted::trust_settings ts;
    ts.refresh_s = cfg.auth.trusted_issuers_refresh_s;
    ts.min_refetch_s = cfg.auth.trusted_issuers_min_refetch_s;
    ts.wait_ms = cfg.auth.trusted_issuers_wait_ms;
    ts.skew_s = cfg.auth.jwt_skew_s;
    ts.scope_claim = cfg.auth.scope_claim;
    ts.tenant_claim = cfg.auth.tenant_claim;
    ctx->trusted_issuers = std::make_unique<auth::trusted::issuer_trust>(
      std::move(issuers), ts);
    ctx->trusted_issuers->start();
    ctx->authn->add_local_verifier(
      [raw = ctx->trusted_issuers.get()](std::string_view token,
                                         int64_t now_s, std::string& err,
                                         bool& mine) {
        return raw->verify(token, now_s, err, mine);
      });
    spdlog::info("auth: {} trusted issuer(s)",
                 cfg.auth.trusted_issuers.size());
  }
  ctx->router = std::make_unique<rest_router>(handler_env{
    *ctx->reader, ctx->metrics, ctx->config, *ctx->cursors, ctx->limiter,
    ctx->faults, ctx->api_keys.get(), ctx->audit.get(), ctx->quotas.get(),
    &ctx->admin, ctx->transactions.get(), ctx->functions.get(),
    ctx->oauth2.get(), ctx->usb_admin.get(), ctx->saml.get()});
  // the operator routes (/api/v1/admin/…): reload and drain go through the
  // same signal handlers as SIGHUP and SIGTERM
  ctx->admin.version = version;
  ctx->admin.mqtt_snapshot = [c = ctx.get()] {
    return c->mqtt ? c->mqtt->snapshot() : std::string();
  };
  ctx->admin.request_drain = [] { ::kill(::getpid(), SIGTERM); };
  ctx->admin.users = [c = ctx.get()] {
    return users_json(c->live.get()->config);
  };
  ctx->admin.config = [c = ctx.get()] {
    return effective_config_json(c->live.get()->config);
  };
  ctx->admin.mqtt_overview = [c = ctx.get()](const std::string& tenant,
                                             bool all) {
    return c->mqtt ? c->mqtt->overview(mqtt::tenant_root(tenant), all, 1000)
                   : std::string();
  };
  // SQL over HTTP and MCP see and signal PG sessions as the PG port does
  ctx->admin.sql_hooks =
    [c = ctx.get()](const principal& who) -> std::shared_ptr<sql::session_hooks> {
    return std::make_shared<pg_sql_hooks>(c->pg_registry, who);
  };
  {
    auto gate = std::make_shared<auth_gate>(ctx->authn, ctx->audit.get());
    gate->set_kerberos(ctx->kerberos);
    gate->set_ranger(ctx->ranger);
    ctx->router->set_auth(std::move(gate));
  }

  ctx->io_threads = half_cores_or(cfg.server.io_threads);
  asio::io_context io(static_cast<int>(ctx->io_threads));
  auto work = asio::make_work_guard(io);
  const server_config defaults;
  std::shared_ptr<http_acceptor> http;
  if (cfg.http.port != 0) {
    http = open_listener(
      {"HTTP", "http.port", "--http-port", cfg.http.port, defaults.http.port},
      cfg.server.bind, [&](int port) {
        return std::make_shared<http_acceptor>(io, cfg.server.bind, port, ctx);
      });
    if (!http)
      return 2;
  }

  std::shared_ptr<http_acceptor> pg;
  if (cfg.pg.port != 0) {
    // over the limit: PostgreSQL's own FATAL 53300 before any startup
    std::string busy;
    pgwire::error_fields e;
    e.severity = "FATAL";
    e.sqlstate = "53300";
    e.message = "sorry, too many clients already";
    pgwire::put_error(busy, e);
    pg = open_listener(
      {"PostgreSQL", "pg.port", "--pg-port", cfg.pg.port, defaults.pg.port},
      cfg.server.bind, [&](int port) {
        return std::make_shared<http_acceptor>(io, cfg.server.bind, port, ctx,
                                               pg_listener_name,
                                               cfg.pg.max_connections, busy);
      });
    if (!pg)
      return 2;
  }

  // TLS: one context for the HTTPS and MQTTS listeners and PostgreSQL
  std::shared_ptr<http_acceptor> https, mqtts;
  std::shared_ptr<h3_udp> h3; // issue 19: HTTP/3 over QUIC
  if (!cfg.tls.cert.empty() || !cfg.tls.key.empty()) {
    std::string error;
    if (!load_tls(cfg.tls, ctx->tls, error)) {
      std::fprintf(stderr, "themisd: config error: tls: %s\n", error.c_str());
      return 2;
    }
    if (cfg.tls.https_port != 0) {
      https =
        open_listener({"HTTPS", "tls.https_port", "--https-port",
                       cfg.tls.https_port, defaults.tls.https_port},
                      cfg.server.bind, [&](int port) {
                        return std::make_shared<http_acceptor>(
                          io, cfg.server.bind, port, ctx, https_listener_name,
                          cfg.http.max_connections, std::string());
                      });
      if (!https)
        return 2;
      https->set_tls([ctx] { return ctx->tls.current(tls_state::http); });
      // issue 19: HTTP/3 on UDP, by default the HTTPS port's number
      int h3_port = cfg.tls.h3_port < 0 ? https->port() : cfg.tls.h3_port;
      if (h3_port != 0) {
        try {
          h3 = std::make_shared<h3_udp>(io, cfg.server.bind, h3_port, ctx);
        } catch (const std::exception& e) {
          std::fprintf(stderr,
                       "themisd: cannot open HTTP/3 (UDP) on %s:%d: %s "
                       "(tls.h3_port, --h3-port; 0 disables)\n",
                       cfg.server.bind.c_str(), h3_port, e.what());
          return 2;
        }
        set_h3_alt_svc("h3=\":" + std::to_string(h3->port()) +
                       "\"; ma=86400");
      }
    }
    if (cfg.tls.mqtts_port != 0 && cfg.mqtt.port != 0) {
      mqtts =
        open_listener({"MQTT over TLS", "tls.mqtts_port", "--mqtts-port",
                       cfg.tls.mqtts_port, defaults.tls.mqtts_port},
                      cfg.server.bind, [&](int port) {
                        return std::make_shared<http_acceptor>(
                          io, cfg.server.bind, port, ctx, mqtts_listener_name,
                          cfg.mqtt.max_connections, std::string());
                      });
      if (!mqtts)
        return 2;
      mqtts->set_tls([ctx] { return ctx->tls.current(tls_state::mqtt); });
    }
  }

  std::shared_ptr<http_acceptor> mqtt;
  ctx->mqtt = std::make_unique<mqtt_broker>();
  ctx->pg_registry = std::make_shared<pg_sessions>();
  add_metric_collectors(*ctx, version);
  // user lists and the MQTT ACL: what SIGHUP replaces (config_reload.cpp)
  if (auto err = start_live_config(*ctx, cfg)) {
    std::fprintf(stderr, "themisd: config error: %s\n", err->c_str());
    return 2;
  }
  try {
    // persistent sessions and retained messages saved at the last stop
    auto saved = ctx->store->load_blob("mqtt");
    if (!saved.empty()) {
      try {
        ctx->mqtt->restore(saved);
      } catch (const std::exception& e) {
        // kept aside: the next save replaces the "mqtt" entry
        ctx->store->save_blob("mqtt.unreadable", saved);
        spdlog::error("mqtt: saved broker state not fully restored ({}); "
                      "the saved text is kept as state_blobs "
                      "'mqtt.unreadable'",
                      e.what());
      }
      spdlog::info("mqtt: restored {} sessions and {} retained messages",
                   ctx->mqtt->clients(), ctx->mqtt->retained_count());
    }
  } catch (const std::exception& e) {
    spdlog::error("mqtt: saved broker state not restored: {}", e.what());
  }
  // auth.required refuses anonymous MQTT clients whatever
  // mqtt.allow_anonymous says (mqtt_connection.cpp)
  bool mqtt_anonymous = cfg.mqtt.allow_anonymous && !cfg.auth.required;
  if (!cfg.mqtt.changes_prefix.empty() && ctx->live.get()->mqtt_acl.empty() &&
      mqtt_anonymous)
    spdlog::warn("mqtt: every committed change is published under '{}' and "
                 "any client may subscribe (no ACL, anonymous allowed)",
                 cfg.mqtt.changes_prefix);
  if (cfg.mqtt.port != 0) {
    // over the limit: CONNACK 3 (server unavailable) and close
    mqtt = open_listener(
      {"MQTT", "mqtt.port", "--mqtt-port", cfg.mqtt.port, defaults.mqtt.port},
      cfg.server.bind, [&](int port) {
        return std::make_shared<http_acceptor>(
          io, cfg.server.bind, port, ctx, mqtt_listener_name,
          cfg.mqtt.max_connections, std::string("\x20\x02\x00\x03", 4));
      });
    if (!mqtt)
      return 2;
  }

  caf::actor_system_config ccfg;
  ccfg.set("scheduler.max-threads",
           static_cast<size_t>(half_cores_or(cfg.server.scheduler_threads)));
  // Without this, an idle worker sleeps 50 µs between polls: 70–90 µs
  // extra latency per actor hop at low load (CAF-0.17-NOTES.md).
  ccfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  caf::actor_system sys{ccfg};
  ctx->system = &sys;
  // issue 23: the gateway's routes and an actor per upstream cluster
  ctx->gateway = std::make_shared<gateway_hub>(sys, io);
  {
    std::shared_ptr<const gateway::gateway_config> gw;
    if (auto err = ctx->gateway->prepare(cfg.gateway.file, gw)) {
      std::fprintf(stderr, "themisd: config error: %s\n", err->c_str());
      return 2;
    }
    ctx->gateway->install(gw, cfg.gateway.file);
  }
  ctx->admin.gateway_upstreams = [c = ctx.get()] {
    return c->gateway->upstreams_json();
  };
  ctx->metrics.add_collector([c = ctx.get()](prometheus_text& out) {
    c->gateway->render_metrics(out);
  });

  supervisor_flags flags;
  flags.strategy = restart_strategy::one_for_one;
  flags.max_restarts = cfg.supervision.max_restarts;
  flags.period = std::chrono::seconds(cfg.supervision.period_seconds);
  flags.on_restart = [ctx](const std::string& child,
                           const std::string& reason) {
    ++ctx->metrics.actor_restarts;
    spdlog::warn("supervisor restarted {} after: {}", child, reason);
  };
  auto writer_spec = registered_child(
    "store_writer", store_writer_name,
    [ctx](caf::actor_system& s) { return spawn_store_writer(s, ctx); });
  auto hub_spec = registered_child(
    "changefeed_hub", changefeed_hub_name,
    [ctx](caf::actor_system& s) { return spawn_changefeed_hub(s, ctx); });
  auto listener_spec = registered_child(
    "http_listener", http_listener_name,
    [ctx](caf::actor_system& s) { return spawn_http_listener(s, ctx); });
  auto pg_listener_spec = registered_child(
    "pg_listener", pg_listener_name, [ctx](caf::actor_system& s) {
      return spawn_listener(
        s, ctx, [ctx](caf::actor_system& s2, connection_ptr conn) {
          return spawn_pg_connection(s2, std::move(conn), ctx);
        });
    });
  auto mqtt_listener_spec = registered_child(
    "mqtt_listener", mqtt_listener_name, [ctx](caf::actor_system& s) {
      return spawn_listener(
        s, ctx, [ctx](caf::actor_system& s2, connection_ptr conn) {
          return spawn_mqtt_connection(s2, std::move(conn), ctx);
        });
    });
  child_spec mqtt_sys_spec;
  mqtt_sys_spec.name = "mqtt_sys";
  mqtt_sys_spec.start = [ctx](caf::actor_system& s) {
    return spawn_mqtt_sys(s, ctx);
  };
  child_spec mqtt_changes_spec;
  mqtt_changes_spec.name = "mqtt_changes";
  mqtt_changes_spec.start = [ctx](caf::actor_system& s) {
    return spawn_mqtt_changes(s, ctx);
  };
  child_spec pg_notify_spec;
  pg_notify_spec.name = "pg_notify_hub";
  pg_notify_spec.start = [ctx](caf::actor_system& s) {
    return spawn_pg_notify_hub(s, ctx);
  };
  std::vector<child_spec> listener_children{listener_spec, pg_listener_spec,
                                            mqtt_listener_spec, mqtt_sys_spec,
                                            pg_notify_spec};
  if (!ctx->config.cache.purge_url.empty()) { // issue 22: docs/caching.md
    child_spec purge_spec;
    purge_spec.name = "cache_purger";
    purge_spec.start = [ctx](caf::actor_system& s) {
      return spawn_cache_purger(s, ctx);
    };
    listener_children.push_back(purge_spec);
  }
  if (https)
    listener_children.push_back(registered_child(
      "https_listener", https_listener_name, [ctx](caf::actor_system& s) {
        return spawn_listener(
          s, ctx, [ctx](caf::actor_system& s2, connection_ptr conn) {
            return spawn_http_connection(s2, std::move(conn), ctx);
          });
      }));
  if (h3)
    listener_children.push_back(registered_child(
      "h3_listener", h3_listener_name,
      [](caf::actor_system& s) { return spawn_h3_listener(s); }));
  if (mqtts)
    listener_children.push_back(registered_child(
      "mqtts_listener", mqtts_listener_name, [ctx](caf::actor_system& s) {
        return spawn_listener(
          s, ctx, [ctx](caf::actor_system& s2, connection_ptr conn) {
            return spawn_mqtt_connection(s2, std::move(conn), ctx);
          });
      }));
  if (!cfg.mqtt.changes_prefix.empty() && cfg.mqtt.port != 0)
    listener_children.push_back(mqtt_changes_spec);
  auto jobs_spec = registered_child(
    "jobs_manager", jobs_manager_name,
    [ctx](caf::actor_system& s) { return spawn_jobs_manager(s, ctx); });
  // jobs_sup is temporary under the root: if its jobs manager crash-loops
  // past the restart intensity, the subtree stops and is reported; the
  // engine and the listeners keep serving (the root does not spend its own
  // intensity on it and give up on everything).
  child_spec keeper_spec;
  keeper_spec.name = "limits_keeper";
  keeper_spec.start = [ctx](caf::actor_system& s) {
    return spawn_limits_keeper(s, ctx);
  };
  child_spec ttl_spec; // issue 22: TTL indexes (actors/ttl_sweeper.hpp)
  ttl_spec.name = "ttl_sweeper";
  ttl_spec.start = [ctx](caf::actor_system& s) {
    return spawn_ttl_sweeper(s, ctx);
  };
  child_spec builder_spec; // issue 22: actors/index_builder.hpp
  builder_spec.name = "index_builder";
  builder_spec.start = [ctx](caf::actor_system& s) {
    return spawn_index_builder(s, ctx);
  };
  std::vector<child_spec> limits_children{keeper_spec, ttl_spec, builder_spec};
  if (cfg.rate_limiting.backend == "redis") { // issue 25: docs/cluster.md
    add_redis_limiter_collector(ctx->metrics);
    limits_children.push_back(registered_child(
      "redis_limiter", redis_limiter_name,
      [ctx](caf::actor_system& s) { return spawn_redis_limiter(s, ctx); }));
  }
  if (!cfg.cluster.etcd_endpoints.empty()) { // issue 25: etcd membership
    ctx->admin.cluster = make_cluster_admin(ctx);
    add_cluster_collector(ctx->metrics);
    child_spec cluster_spec;
    cluster_spec.name = "cluster_node";
    cluster_spec.start = [ctx](caf::actor_system& s) {
      return spawn_cluster_node(s, ctx);
    };
    limits_children.push_back(cluster_spec);
  }
  auto jobs_sup = supervisor_child("jobs_sup", flags, {jobs_spec});
  jobs_sup.policy = restart_policy::temporary;
  auto root_flags = flags;
  root_flags.on_child_stopped = [ctx](const std::string& child,
                                      const std::string& reason) {
    if (child == "jobs_sup")
      ctx->metrics.jobs_up = false;
    spdlog::error("supervisor gave up on {} (restart intensity exceeded: {}); "
                  "it stays down, the rest keeps serving",
                  child, reason);
  };
  auto root = spawn_supervisor(
    sys, "root", root_flags,
    {supervisor_child("engine_sup", flags, {hub_spec, writer_spec}),
     functions_supervisor(ctx, flags), // issue 27: trigger actors
     supervisor_child("limits_sup", flags, std::move(limits_children)),
     jobs_sup,
     supervisor_child("listeners_sup", flags, std::move(listener_children))});

  std::promise<int> stop;
  auto stop_future = stop.get_future();
  std::once_flag stop_once;
  auto request_stop = [&](int why) {
    std::call_once(stop_once, [&] { stop.set_value(why); });
  };
  root->attach_functor([&](const caf::error& reason) {
    if (reason && reason != caf::exit_reason::user_shutdown)
      request_stop(-1);
  });
  // One reload at a time, from SIGHUP or POST /api/v1/admin/reload (which
  // answers with what changed); the same sources, the same checks.
  auto reload_mtx = std::make_shared<std::mutex>();
  auto reload_now = [c = ctx.get(), reload,
                     reload_mtx](const char* why) -> reload_report {
    std::lock_guard<std::mutex> g(*reload_mtx);
    reload_report out;
    auto fresh = reload ? reload(out.error) : std::nullopt;
    if (!fresh) {
      if (!reload)
        out.error = "no reloader";
      spdlog::error("{}: configuration not reloaded: {}", why, out.error);
      return out;
    }
    server_log::apply(fresh->log); // level and access log switch
    auto r = apply_reload(*c, *fresh);
    if (r.applied && !c->config.cluster.etcd_endpoints.empty())
      cluster_reapply(*c); // issue 25: etcd's sections win over the file
    return r;
  };
  ctx->admin.reload = [reload_now] {
    auto r = reload_now("POST /api/v1/admin/reload");
    return reload_result{r.applied, r.error, r.changed, r.restart};
  };
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR1); // reopen the log files (logrotate)
  std::function<void(boost::system::error_code, int)> on_signal =
    [&](boost::system::error_code ec, int sig) {
      if (ec)
        return;
      if (sig == SIGUSR1) {
        if (auto err = server_log::reopen())
          spdlog::error("SIGUSR1: log file not reopened: {}", *err);
        else
          spdlog::info("SIGUSR1: log files reopened");
        signals.async_wait(on_signal);
        return;
      }
      if (sig != SIGHUP) {
        request_stop(sig);
        return;
      }
      // SIGHUP: re-read the configuration and apply what can change live
      // (config_reload.cpp); connections stay open.
      reload_now("SIGHUP");
      signals.async_wait(on_signal);
    };
  signals.async_wait(on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::thread> io_threads;
  auto n_io = ctx->io_threads;
  for (unsigned i = 0; i < n_io; ++i)
    io_threads.emplace_back([&io] { io.run(); });
  if (http) {
    http->start();
    spdlog::info("themisd {} listening on http://{}:{} (data dir {}, {} "
                 "scheduler + {} I/O threads)",
                 version, cfg.server.bind, http->port(), cfg.engine.data_dir,
                 half_cores_or(cfg.server.scheduler_threads), n_io);
  }
  if (mqtt) {
    mqtt->start();
    spdlog::info("MQTT broker on {}:{} (anonymous {})", cfg.server.bind,
                 mqtt->port(), mqtt_anonymous ? "allowed" : "refused");
  }
  if (https) {
    https->start();
    spdlog::info("HTTPS on {}:{} (TLS {}+)", cfg.server.bind, https->port(),
                 cfg.tls.min_version);
  }
  if (h3) {
    h3->start();
    spdlog::info("HTTP/3 (QUIC, UDP) on {}:{}", cfg.server.bind, h3->port());
  }
  if (mqtts) {
    mqtts->start();
    spdlog::info("MQTT over TLS on {}:{}", cfg.server.bind, mqtts->port());
  }
  if (pg) {
    pg->start();
    spdlog::info("PostgreSQL protocol on {}:{} (auth {})", cfg.server.bind,
                 pg->port(), cfg.pg.auth);
  }
  for (auto& n : cfg.notices)
    spdlog::info("{}", n);
  for (auto& w : cfg.warnings)
    spdlog::warn("{}", w);
  if (cfg.auth.required) {
    spdlog::info("authentication required on every protocol (JWTs{}, "
                 "passwords, client certificates; /health{} open)",
                 cfg.auth.api_keys ? ", API keys" : "",
                 cfg.auth.open_metrics ? " and /metrics" : "");
    if (cfg.pg.auth == "trust")
      spdlog::warn("pg.auth trust is ignored with auth.required: "
                   "scram-sha-256 (tokens as cleartext passwords)");
  } else if (cfg.server.bind == "127.0.0.1" || cfg.server.bind == "::1") {
    spdlog::info("bound to loopback only; authentication is not enabled "
                 "(auth.required: true turns it on)");
  } else {
    spdlog::warn("authentication is not enabled and themisd listens on {}: "
                 "anyone who can reach it has every right",
                 cfg.server.bind);
  }
  for (auto& [name, lsn] : {std::pair{"http", http}, std::pair{"https", https},
                            std::pair{"mqtt", mqtt}, std::pair{"mqtts", mqtts},
                            std::pair{"pg", pg}})
    if (lsn)
      ctx->admin.add_listener(name, cfg.server.bind + ":" +
                                      std::to_string(lsn->port()));
  ctx->metrics.listeners_up = true;
  if (cfg.tracing.enabled) {
    tracing::tracer::global().start(tracing::config_of(
      cfg.tracing, version,
      cfg.server.bind + ":" + std::to_string(http ? http->port() : 0)));
    spdlog::info("tracing: OTLP/HTTP to {} (sample ratio {})",
                 cfg.tracing.endpoint, cfg.tracing.sample_ratio);
  }
  service_notifier notifier(io);
  notifier.ready("serving HTTP on " + cfg.server.bind + ":" +
                 std::to_string(http ? http->port() : 0));

  int why = stop_future.get();
  notifier.stopping(why < 0 ? "supervision tree gave up" : "draining");
  int exit_code = 0;
  if (why < 0) {
    spdlog::critical("supervision tree gave up; shutting down");
    exit_code = 1;
  } else {
    spdlog::info("signal {}: draining (deadline {} ms)", why,
                 cfg.server.drain_timeout_ms);
  }

  // Drain: stop accepting, let in-flight requests finish (their responses
  // carry Connection: close), close idle connections, bounded by a deadline.
  ctx->metrics.draining = true;
  if (http)
    http->stop();
  if (pg)
    pg->stop();
  if (mqtt)
    mqtt->stop();
  if (https)
    https->stop();
  if (mqtts)
    mqtts->stop();
  if (h3)
    h3->stop();
  if (auto lsn = registered(sys, h3_listener_name))
    caf::anon_send(lsn, drain_atom::value);
  for (auto name :
       {mqtt_listener_name, mqtts_listener_name, https_listener_name})
    if (auto lsn = registered(sys, name))
      caf::anon_send(lsn, drain_atom::value);
  if (auto lsn = registered(sys, http_listener_name))
    caf::anon_send(lsn, drain_atom::value);
  if (auto lsn = registered(sys, pg_listener_name))
    caf::anon_send(lsn, drain_atom::value);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(cfg.server.drain_timeout_ms);
  while (ctx->metrics.open_connections > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (ctx->metrics.open_connections > 0) {
    // Work was cut off: say so in the exit code (3), so a supervisor or an
    // orchestrator can tell a clean stop from a forced one.
    spdlog::warn("drain deadline reached; force-closing {} connections",
                 ctx->metrics.open_connections.load());
    if (exit_code == 0)
      exit_code = 3;
  }

  // Past the drain deadline nothing may hold the exit up for long (a
  // stalled store writer, a worker inside a long statement, a detached
  // actor that never ends, CAF #1110): if the orderly stop below is not
  // done within stop_grace, the process ends here. Every acknowledged
  // write is already committed (SQLite WAL), so only the MQTT session
  // snapshot of this stop is skipped; the exit code says it was forced.
  // (A drain that ended early may use the rest of its deadline.)
  constexpr auto stop_grace = std::chrono::milliseconds(1500);
  std::mutex stop_mtx;
  std::condition_variable stop_cv;
  bool stop_done = false;
  std::thread stop_watchdog([&, code = exit_code == 0 ? 3 : exit_code] {
    std::unique_lock<std::mutex> lk(stop_mtx);
    // a drain that ended early leaves the rest of its deadline as slack
    auto until =
      std::max(deadline, std::chrono::steady_clock::now()) + stop_grace;
    if (stop_cv.wait_until(lk, until, [&] { return stop_done; }))
      return;
    spdlog::error("shutdown not finished {} ms after the drain; exiting now "
                  "(a stalled writer or worker is abandoned)",
                  stop_grace.count());
    spdlog::shutdown(); // flush the log before leaving
    std::_Exit(code);
  });
  struct watchdog_stop {
    std::mutex& m;
    std::condition_variable& cv;
    bool& done;
    std::thread& t;
    ~watchdog_stop() {
      {
        std::lock_guard<std::mutex> g(m);
        done = true;
      }
      cv.notify_all();
      t.join();
    }
  } stop_watchdog_guard{stop_mtx, stop_cv, stop_done, stop_watchdog};

  ctx->stopping = true; // queries and jobs on worker threads stop now
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  sys.registry().erase(store_writer_name);
  sys.registry().erase(http_listener_name);
  sys.registry().erase(pg_listener_name);
  sys.registry().erase(mqtt_listener_name);
  sys.registry().erase(https_listener_name);
  sys.registry().erase(mqtts_listener_name);
  sys.registry().erase(h3_listener_name);
  sys.registry().erase(changefeed_hub_name);
  sys.registry().erase(jobs_manager_name);
  root = nullptr;
  ctx->gateway->stop(); // cluster actors answer what they hold, then end
  sys.await_all_actors_done();
  signals.cancel();
  notifier.stop();
  work.reset();
  io.stop();
  for (auto& t : io_threads)
    t.join();
  try {
    // every connection has ended: persistent sessions are offline now
    ctx->store->save_blob("mqtt", ctx->mqtt->snapshot());
  } catch (const std::exception& e) {
    spdlog::error("mqtt: broker state not saved: {}", e.what());
  }
  ctx->reader.reset();
  ctx->store.reset(); // closes the database; every ack'd write is committed
  tracing::tracer::global().stop(); // exports what is queued, bounded
  spdlog::info("themisd stopped");
  server_log::flush();
  return exit_code;
}

} // namespace themis
