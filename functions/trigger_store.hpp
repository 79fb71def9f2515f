#pragma once
/// Function triggers (issue 27), durable in `functions.db`: a change
/// trigger binds a function to a collection (optionally to PUT or DELETE
/// only, and to a key prefix) and keeps the sequence of the last change
/// it has dealt with, its checkpoint; an MQTT trigger binds a function to
/// a topic filter in the tenant's tree. Each remembers who created it:
/// the function runs with that principal's tenant and scopes.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sqlite_db.hpp"

namespace themis::functions {

struct trigger_spec {
  enum class source : uint8_t { change, mqtt };
  std::string id, tenant, function;
  source kind = source::change;
  // change triggers
  std::string collection; ///< as the tenant names it
  bool on_put = true, on_delete = true;
  std::string key_prefix;
  uint64_t checkpoint = 0; ///< last sequence dealt with (processed or
                           ///< dead-lettered); resume is after it
  // MQTT triggers
  std::string topic;  ///< a topic filter, as the tenant's clients see it
  std::string output; ///< a collection stdout (a JSON object) goes to
  // the creator, whose tenant and scopes the function runs with
  std::string user, via;
  std::vector<std::string> scopes;
  int64_t created_ms = 0;

  /// Whether a committed change (type PUT/DELETE, the engine's collection
  /// name, key) is one this change trigger fires on.
  bool matches(std::string_view type, std::string_view stored_collection,
               std::string_view key) const;
};

/// What a trigger did since this server started (not durable).
struct trigger_stats {
  uint64_t invocations = 0, failures = 0, dead_letters = 0, dropped = 0;
  std::string last_error; ///< of the newest failure (capped)
  int64_t last_ms = 0;    ///< when it last ran (Unix ms)
};

class trigger_store {
public:
  /// Triggers of one function, and of one tenant, at most.
  static constexpr size_t max_per_function = 16, max_per_tenant = 256;

  /// Opens `path` (functions.db; the registry created it).
  trigger_store(const std::string& path, int busy_timeout_ms);

  /// Stores `s` with a fresh random id; "" and `error` when refused (the
  /// limits above).
  std::string create(trigger_spec s, std::string& error);
  std::vector<trigger_spec> list(const std::string& tenant,
                                 const std::string& function) const;
  std::vector<trigger_spec> all() const;
  bool remove(const std::string& tenant, const std::string& function,
              const std::string& id);
  /// A deleted function's triggers go with it.
  void remove_function(const std::string& tenant, const std::string& function);
  void set_checkpoint(const std::string& id, uint64_t seq);
  /// Changes on every create and remove: the trigger actor reloads.
  uint64_t generation() const { return generation_.load(); }

  /// Counts an invocation of trigger `id` (`error` empty: it succeeded),
  /// a dead letter, or a dropped MQTT message.
  void note_run(const std::string& id, std::string_view error, int64_t now_ms);
  void note_dead_letter(const std::string& id);
  void note_dropped(const std::string& id);
  trigger_stats stats(const std::string& id) const;

private:
  mutable std::mutex mtx_;
  mutable engine::sqlite_db db_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex stats_mtx_;
  std::map<std::string, trigger_stats> stats_;
};

} // namespace themis::functions
