#pragma once
/// Shared, long-lived services every connection actor uses. Owned by the
/// server; outlives every actor and the io_context threads.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "actors/writer_hold.hpp"
#include "auth/authenticator.hpp"
#include "auth/kerberos/kerberos_auth.hpp"
#include "auth/ranger/ranger_enforcer.hpp"
#include "auth/ranger/ranger_poller.hpp"
#include "auth/oauth2/provider.hpp"
#include "auth/saml/service_provider.hpp"
#include "auth/trusted_issuers/issuer_trust.hpp"
#include "auth/usb_admin/login_service.hpp"
#include "engine/reader_pool.hpp"
#include "engine/security/api_key_store.hpp"
#include "engine/security/audit_log.hpp"
#include "engine/store_writer.hpp"
#include "functions/function_registry.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/cursor_store.hpp"
#include "handlers/fault_table.hpp"
#include "handlers/http_tx_store.hpp"
#include "handlers/metrics_registry.hpp"
#include "handlers/rest_router.hpp"
#include "limits/admission.hpp"
#include "limits/circuit_breaker.hpp"
#include "limits/rate_limiter.hpp"
#include "limits/tenant_quotas.hpp"
#include "protocols/compression/http_coding.hpp"
#include "protocols/mqtt/mqtt_acl.hpp"
#include "themis/server_config.hpp"

namespace caf {
class actor_system;
}

namespace themis {

class mqtt_broker;
class gateway_hub;
class pg_sessions;
namespace tls {
class context;
}

/// The TLS configuration new connections use, one per protocol (each
/// with its own ALPN list, so an HTTPS port never agrees to "mqtt"); a
/// reload swaps them, open connections keep the one they started with.
class tls_state {
public:
  enum kind { http, mqtt, pg, kinds };
  std::shared_ptr<const tls::context> current(kind k = http) const {
    std::lock_guard<std::mutex> g(mtx_);
    return ctx_[k];
  }
  void set(kind k, std::shared_ptr<const tls::context> c) {
    std::lock_guard<std::mutex> g(mtx_);
    ctx_[k] = std::move(c);
  }

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const tls::context> ctx_[kinds];
};

/// What SIGHUP replaces while connections read it (actors/config_reload):
/// the configuration last applied, of which the reloadable keys are in
/// effect (docs/configuration.md lists them), and the MQTT topic ACL parsed
/// from it. Readers take a snapshot and keep it for one decision.
struct live_settings {
  server_config config;
  mqtt::acl mqtt_acl;
  std::string mqtt_acl_text; ///< mqtt.acl and the acl_file's contents
};

class live_state {
public:
  std::shared_ptr<const live_settings> get() const {
    std::lock_guard<std::mutex> g(mtx_);
    return current_;
  }
  void set(std::shared_ptr<const live_settings> s) {
    std::lock_guard<std::mutex> g(mtx_);
    current_ = std::move(s);
  }

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const live_settings> current_ =
    std::make_shared<const live_settings>();
};

/// Registry names: supervisors (re)register the current handle here, so a
/// restarted actor is found by everyone who looks it up.
constexpr caf::atom_value store_writer_name = caf::atom("t_writer");
constexpr caf::atom_value http_listener_name = caf::atom("t_http_l");
constexpr caf::atom_value changefeed_hub_name = caf::atom("t_cf_hub");
constexpr caf::atom_value jobs_manager_name = caf::atom("t_jobs");
/// issue 25: the Redis rate limiter (actors/redis_limiter.hpp)
constexpr caf::atom_value redis_limiter_name = caf::atom("t_rlim");
constexpr caf::atom_value pg_listener_name = caf::atom("t_pg_l");
constexpr caf::atom_value mqtt_listener_name = caf::atom("t_mqtt_l");
constexpr caf::atom_value https_listener_name = caf::atom("t_https_l");
constexpr caf::atom_value mqtts_listener_name = caf::atom("t_mqtts_l");

/// Steady clock in nanoseconds: what the limiter, admission control and
/// the breaker take as "now".
inline int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// The current handle registered under `name` (null if none).
caf::actor registered(caf::actor_system& sys, caf::atom_value name);

struct server_context {
  /// The configuration at start; what SIGHUP may change is read from `live`.
  server_config config;
  live_state live;
  metrics_registry metrics;
  std::shared_ptr<engine::store_writer> store;
  /// Which SQL session's transaction the store holds; its statements run
  /// on the session's thread (store_writer_actor.hpp).
  writer_hold hold;
  std::unique_ptr<engine::reader_pool> reader;
  std::unique_ptr<rest_router> router;
  std::unique_ptr<cursor_store> cursors;
  /// Open HTTP transactions (ThemisDB's /transaction/*).
  std::unique_ptr<http_tx_store> transactions;
  /// Serverless WebAssembly functions (issue 27), functions.db.
  std::unique_ptr<functions::function_registry> functions;
  /// Identity (issue 9): API keys and the audit log in auth.db, and the
  /// authenticator every front-end turns credentials into principals with.
  std::unique_ptr<engine::api_key_store> api_keys;
  std::unique_ptr<engine::audit_log> audit;
  std::shared_ptr<const auth::authenticator> authn;
  /// Kerberos sign-in for HTTP and PostgreSQL (issue 24; null: off).
  std::shared_ptr<const auth::kerberos::kerberos_auth> kerberos;
  /// Apache Ranger policies (issue 24; null: off) and their poller.
  std::shared_ptr<auth::ranger::ranger_enforcer> ranger;
  std::unique_ptr<auth::ranger::ranger_poller> ranger_poller;
  /// The OAuth2 / OIDC provider (issue 24; null: oauth2.enabled off).
  std::unique_ptr<auth::oauth2::provider> oauth2;
  /// The SAML 2.0 SP (issue 24; null: saml.enabled off).
  std::unique_ptr<auth::saml::service_provider> saml;
  /// USB admin login (issue 24; null: auth.usb_admin.enabled off).
  std::unique_ptr<auth::usb_admin::login_service> usb_admin;
  /// External IdPs' keys (issue 24; null: auth.trusted_issuers empty).
  std::unique_ptr<auth::trusted::issuer_trust> trusted_issuers;
  std::unique_ptr<limits::tenant_quotas> quotas; ///< auth.tenant_quotas
  limits::rate_limiter limiter;
  /// In front of the store writer: admission control (queue depth, CoDel,
  /// stall) and a circuit breaker, applied by every request-path write.
  limits::admission writer_admission;
  std::unique_ptr<limits::circuit_breaker> writer_breaker;
  fault_table faults;
  /// Open connections per client IP (overload.max_connections_per_ip).
  std::mutex ip_mtx;
  std::unordered_map<std::string, uint32_t> ip_connections;
  caf::actor_system* system = nullptr;
  /// Set at shutdown: queries and jobs running on worker threads stop.
  std::atomic<bool> stopping{false};
  unsigned io_threads = 1; ///< threads running the io_context
  /// PostgreSQL backends by pid: their cancel key and the read connection
  /// a CancelRequest interrupts.
  std::mutex pg_mtx;
  std::unordered_map<int32_t, std::pair<int32_t, void*>> pg_backends;
  std::atomic<int32_t> next_pg_pid{1000};
  /// Every PostgreSQL session: pg_stat_activity, LISTEN/NOTIFY (issue 36).
  std::shared_ptr<pg_sessions> pg_registry;
  /// The MQTT broker core (subscriptions, retained messages).
  std::unique_ptr<mqtt_broker> mqtt;
  /// Content codings for HTTP requests and responses (from `compression`).
  compression::http_options coding;
  /// TLS for the HTTPS and MQTTS listeners and PostgreSQL's SSLRequest
  /// (null context: TLS off).
  tls_state tls;
  /// Listeners, version and backup state for /api/v1/admin/… (issue 28).
  admin_state admin;
  /// Issue 23: the gateway's route table and upstream cluster actors
  /// (actors/gateway_hub.hpp); replaced as a whole by SIGHUP.
  std::shared_ptr<gateway_hub> gateway;
};

} // namespace themis
