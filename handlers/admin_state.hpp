#pragma once
/// What the operator routes (/api/v1/admin/…, issue 28) need beyond the
/// handler environment: the listeners actually bound, the version, a way
/// to snapshot the MQTT broker, process signals for reload and drain, and
/// the state of the one backup that may run at a time. Owned by the
/// server; filled as listeners come up; read from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace themis {

struct principal;
class cluster_admin;
namespace sql {
class session_hooks;
}

struct listener_info {
  std::string name;    ///< http, https, mqtt, mqtts, pg
  std::string address; ///< host:port actually bound
};

/// What a reload did (POST /api/v1/admin/reload), as SIGHUP logs it.
struct reload_result {
  bool applied = false;
  std::string error;                ///< why nothing was applied
  std::vector<std::string> changed; ///< "mqtt.users", "cors", …
  std::vector<std::string> restart; ///< changed keys that need a restart
};

/// One backup's progress and outcome (GET /api/v1/admin/backup).
struct backup_status {
  std::string id;
  std::string state = "none"; ///< none, running, completed, failed
  std::string to;
  std::string error;
  uint64_t sequence = 0;
  uint64_t compacted_through = 0;
  uint64_t pages_done = 0;
  uint64_t pages_total = 0;
  uint64_t bytes = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
};

class admin_state {
public:
  std::string version;
  /// The broker's sessions and retained messages as JSON ("" if none).
  std::function<std::string()> mqtt_snapshot;
  /// GET /api/v1/gateway/upstreams (issue 23): clusters and endpoint
  /// health as JSON.
  std::function<std::string()> gateway_upstreams;
  /// The broker's sessions, subscriptions and retained messages as JSON
  /// (mqtt_broker::overview; GET /api/v1/mqtt): a tenant's (`tenant`
  /// non-empty), the global namespace's, or with `all` every namespace.
  std::function<std::string(const std::string& tenant, bool all)> mqtt_overview;
  /// Reload as SIGHUP does, serialized with it; blocks on file I/O.
  std::function<reload_result()> reload;
  /// The configured password and certificate principals as JSON (names,
  /// protocols, tenant, scopes; never a secret), from the live config.
  std::function<std::string()> users;
  /// The effective configuration as JSON, secrets redacted (issue 22,
  /// config/config_json.hpp), from the live config.
  std::function<std::string()> config;
  /// What SQL run outside a PostgreSQL session (POST /api/v1/query/sql,
  /// MCP sql_query) reaches of the PG sessions: pg_stat_activity,
  /// pg_cancel_backend, pg_terminate_backend, as `who` may see and signal
  /// them on the PG port (issue 29). Unset: those functions fail (0A000).
  std::function<std::shared_ptr<sql::session_hooks>(const principal&)>
    sql_hooks;
  /// The etcd session's routes (issue 25, handlers/cluster_admin.hpp);
  /// null when the node is not clustered.
  std::shared_ptr<cluster_admin> cluster;
  /// Drain as SIGTERM does (set by the server).
  std::function<void()> request_drain;

  void add_listener(std::string name, std::string address) {
    std::lock_guard<std::mutex> g(mtx_);
    listeners_.push_back({std::move(name), std::move(address)});
  }
  std::vector<listener_info> listeners() const {
    std::lock_guard<std::mutex> g(mtx_);
    return listeners_;
  }

  /// Claims the backup slot; false if a backup is running.
  bool begin_backup(backup_status fresh) {
    std::lock_guard<std::mutex> g(mtx_);
    if (backup_.state == "running")
      return false;
    backup_ = std::move(fresh);
    backup_.state = "running";
    return true;
  }
  void update_backup(const std::function<void(backup_status&)>& f) {
    std::lock_guard<std::mutex> g(mtx_);
    f(backup_);
  }
  backup_status backup() const {
    std::lock_guard<std::mutex> g(mtx_);
    return backup_;
  }

private:
  mutable std::mutex mtx_;
  std::vector<listener_info> listeners_;
  backup_status backup_;
};

} // namespace themis
