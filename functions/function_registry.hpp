#pragma once
/// Uploaded functions (issue 27): each tenant's modules, durable in
/// `functions.db` beside the store and compiled in memory, with their
/// limits, invocation statistics, recent log lines and the admission of
/// concurrent invocations (per function and per tenant).

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/sqlite_db.hpp"
#include "functions/function_limits.hpp"
#include "functions/trigger_store.hpp"
#include "functions/wasm_module.hpp"
#include "functions/wasm_runtime.hpp"

namespace themis::functions {

struct log_entry {
  int64_t time_ms = 0;
  std::string invocation; ///< request id
  std::string outcome;    ///< outcome_name
  std::string text;       ///< stderr and log lines (capped)
};

struct function_entry {
  std::string tenant, id, name, created_by;
  int64_t version = 0, created_ms = 0, updated_ms = 0;
  size_t wasm_bytes = 0;
  function_limits limits;
  /// Bound to `/fn/{tenant}/{id}/...` (any method, any sub-path).
  bool route = false;
  std::shared_ptr<const compiled_module> module;
  module_info info;
  // statistics since this server started (not durable)
  std::atomic<uint64_t> invocations{0}, failures{0}, total_us{0}, max_us{0};
  std::atomic<uint32_t> running{0};
  mutable std::mutex log_mtx;
  std::deque<log_entry> logs; ///< newest last, at most `max_logs`
  static constexpr size_t max_logs = 100;

  void record(log_entry e, bool failed, uint64_t us);
  std::vector<log_entry> recent_logs() const;
};

/// Per-upload limit overrides (absent: the server's default) and the
/// route binding (absent: the previous version's, none for a new one).
struct limit_overrides {
  std::optional<uint64_t> fuel, timeout_ms, memory_pages, output_bytes,
    max_concurrent;
  std::optional<bool> route;
};

/// Server-wide counters for /metrics (since start).
struct registry_totals {
  static constexpr size_t outcomes = 8; ///< outcome's values
  std::atomic<uint64_t> by_outcome[outcomes] = {};
  std::atomic<uint64_t> rejected{0}; ///< 429: concurrency limits
  std::atomic<uint64_t> micros{0};   ///< time spent invoking
  // triggers (actors/function_triggers.cpp)
  std::atomic<uint64_t> trigger_ok{0}, trigger_failed{0}, dead_letters{0};
  std::atomic<uint64_t> mqtt_ok{0}, mqtt_failed{0}, mqtt_dropped{0};
  std::atomic<uint64_t> trigger_lag{0}; ///< events behind, all triggers
  std::atomic<uint64_t> mqtt_queued{0}; ///< MQTT messages waiting
};

struct registry_config {
  function_limits defaults;        ///< also the caps an upload may not exceed
  uint32_t tenant_concurrent = 16; ///< invocations of one tenant at once
  size_t max_module_bytes = 8u << 20;
};

class function_registry {
public:
  /// Opens (creating) `path` and compiles every stored module; a module
  /// that no longer compiles is skipped with a message in `warnings`.
  function_registry(const std::string& path, int busy_timeout_ms,
                    registry_config cfg, std::vector<std::string>& warnings);

  struct upload_result {
    std::shared_ptr<function_entry> entry; ///< null: refused
    std::string error;
    bool created = false;
  };
  /// Compiles and stores a new version of `tenant`'s function `id`.
  upload_result upload(const std::string& tenant, const std::string& id,
                       const std::string& name, std::string_view wasm,
                       const limit_overrides& lim, const std::string& who,
                       int64_t now_ms);
  std::shared_ptr<function_entry> get(const std::string& tenant,
                                      const std::string& id) const;
  std::vector<std::shared_ptr<function_entry>>
  list(const std::string& tenant) const;
  bool remove(const std::string& tenant, const std::string& id);

  enum class admission { ok, function_busy, tenant_busy };
  /// Takes an invocation slot; `release` gives it back.
  admission acquire(function_entry& f);
  void release(function_entry& f);

  /// Counts a finished invocation for /metrics.
  void count(outcome o, uint64_t us) {
    totals_.by_outcome[static_cast<size_t>(o) % registry_totals::outcomes]
      .fetch_add(1, std::memory_order_relaxed);
    totals_.micros.fetch_add(us, std::memory_order_relaxed);
  }
  const registry_totals& totals() const { return totals_; }
  registry_totals& totals() { return totals_; }
  /// Functions stored and invocations running now, over all tenants.
  size_t function_count() const;
  uint64_t running() const;

  const registry_config& config() const { return cfg_; }
  /// What the functions need from the MQTT broker, which lives above
  /// this layer: set once at start, before any invocation (by the
  /// broker's owner); empty functions mean no broker.
  struct mqtt_hooks {
    /// Publishes a QoS 0 message into `tenant`'s topic tree for the host
    /// API's mqtt_publish; `hops` counts functions on the message's way
    /// (a trigger chain ends at max_hops). False: not published.
    std::function<bool(const std::string& tenant, const std::string& function,
                       std::string_view topic, std::string_view payload,
                       uint32_t hops)>
      publish;
    /// The broker's own topic name and topic filter rules.
    std::function<bool(std::string_view)> valid_topic, valid_filter;
  };
  static constexpr uint32_t max_hops = 4;
  void set_mqtt(mqtt_hooks h) { mqtt_ = std::move(h); }
  const mqtt_hooks& mqtt() const { return mqtt_; }

  /// The functions' triggers (the same database, its own connection).
  trigger_store& triggers() { return *triggers_; }
  static std::string path_in(const std::string& data_dir);
  /// 1-64 of a-z, A-Z, 0-9, '-', '_'.
  static bool valid_id(std::string_view id);

private:
  registry_config cfg_;
  registry_totals totals_;
  mutable std::mutex db_mtx_;
  engine::sqlite_db db_;
  mutable std::mutex mtx_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<function_entry>>
    fns_;
  std::map<std::string, uint32_t> tenant_running_;
  std::unique_ptr<trigger_store> triggers_;
  mqtt_hooks mqtt_;
};

} // namespace themis::functions
