/// Durable triggers (see trigger_store.hpp).

#include "functions/trigger_store.hpp"

#include <nlohmann/json.hpp>

#include <random>

#include "themis/principal.hpp"

namespace themis::functions {

using nlohmann::json;

namespace {

std::string fresh_id() {
  // std::random_device reads the kernel's CSPRNG on Linux
  thread_local std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    auto v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4)
      id += hex[v & 15];
  }
  return id;
}

/// Everything but the keys and the checkpoint, as one JSON column (a new
/// field needs no schema change).
json spec_json(const trigger_spec& s) {
  return {{"kind", s.kind == trigger_spec::source::mqtt ? "mqtt" : "change"},
          {"collection", s.collection},
          {"on_put", s.on_put},
          {"on_delete", s.on_delete},
          {"key_prefix", s.key_prefix},
          {"topic", s.topic},
          {"output", s.output},
          {"user", s.user},
          {"via", s.via},
          {"scopes", s.scopes},
          {"created_ms", s.created_ms}};
}

trigger_spec spec_of(engine::stmt_ref& q) {
  trigger_spec s;
  s.id = q.text(0);
  s.tenant = q.text(1);
  s.function = q.text(2);
  s.checkpoint = static_cast<uint64_t>(q.int64(3));
  auto j = json::parse(q.text(4), nullptr, false);
  if (!j.is_object())
    return s;
  s.kind = j.value("kind", "") == "mqtt" ? trigger_spec::source::mqtt
                                         : trigger_spec::source::change;
  s.collection = j.value("collection", "");
  s.on_put = j.value("on_put", true);
  s.on_delete = j.value("on_delete", true);
  s.key_prefix = j.value("key_prefix", "");
  s.topic = j.value("topic", "");
  s.output = j.value("output", "");
  s.user = j.value("user", "");
  s.via = j.value("via", "none");
  s.scopes = j.value("scopes", std::vector<std::string>{});
  s.created_ms = j.value("created_ms", int64_t{0});
  return s;
}

constexpr const char* select_all =
  "SELECT id, tenant, function, checkpoint, spec FROM triggers";

} // namespace

bool trigger_spec::matches(std::string_view type,
                           std::string_view stored_collection,
                           std::string_view key) const {
  if (kind != source::change)
    return false;
  if (type == "PUT" ? !on_put : type == "DELETE" ? !on_delete : true)
    return false; // transaction markers never fire
  return stored_collection == tenant_collection(tenant, collection) &&
         key.substr(0, key_prefix.size()) == key_prefix;
}

trigger_store::trigger_store(const std::string& path, int busy_timeout_ms) :
  db_(path, false, busy_timeout_ms) {
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS triggers(
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, function TEXT NOT NULL,
      checkpoint INTEGER NOT NULL, spec TEXT NOT NULL))sql");
}

std::string trigger_store::create(trigger_spec s, std::string& error) {
  std::lock_guard lock(mtx_);
  size_t of_tenant = 0, of_function = 0;
  auto q = db_.prepare("SELECT function FROM triggers WHERE tenant = ?");
  q.bind(1, s.tenant);
  while (q.step()) {
    ++of_tenant;
    of_function += q.text(0) == s.function;
  }
  if (of_function >= max_per_function || of_tenant >= max_per_tenant) {
    error = of_function >= max_per_function
              ? "the function has " + std::to_string(max_per_function) +
                  " triggers already"
              : "the tenant has " + std::to_string(max_per_tenant) +
                  " triggers already";
    return {};
  }
  s.id = fresh_id();
  db_
    .prepare("INSERT INTO triggers(id, tenant, function, checkpoint, spec) "
             "VALUES(?, ?, ?, ?, ?)")
    .bind(1, s.id)
    .bind(2, s.tenant)
    .bind(3, s.function)
    .bind(4, static_cast<int64_t>(s.checkpoint))
    .bind(5, spec_json(s).dump())
    .run();
  ++generation_;
  return s.id;
}

std::vector<trigger_spec> trigger_store::list(const std::string& tenant,
                                              const std::string& fn) const {
  std::lock_guard lock(mtx_);
  std::vector<trigger_spec> out;
  auto q = db_.prepare("SELECT id, tenant, function, checkpoint, spec FROM "
                       "triggers WHERE tenant = ? AND function = ? ORDER BY "
                       "rowid");
  q.bind(1, tenant).bind(2, fn);
  while (q.step())
    out.push_back(spec_of(q));
  return out;
}

std::vector<trigger_spec> trigger_store::all() const {
  std::lock_guard lock(mtx_);
  std::vector<trigger_spec> out;
  auto q = db_.prepare(select_all);
  while (q.step())
    out.push_back(spec_of(q));
  return out;
}

bool trigger_store::remove(const std::string& tenant, const std::string& fn,
                           const std::string& id) {
  std::lock_guard lock(mtx_);
  db_
    .prepare("DELETE FROM triggers WHERE id = ? AND tenant = ? AND "
             "function = ?")
    .bind(1, id)
    .bind(2, tenant)
    .bind(3, fn)
    .run();
  if (db_.changes() == 0)
    return false;
  ++generation_;
  std::lock_guard stats_lock(stats_mtx_);
  stats_.erase(id);
  return true;
}

void trigger_store::remove_function(const std::string& tenant,
                                    const std::string& fn) {
  std::lock_guard lock(mtx_);
  std::vector<std::string> ids;
  auto q = db_.prepare("SELECT id FROM triggers WHERE tenant = ? AND "
                       "function = ?");
  q.bind(1, tenant).bind(2, fn);
  while (q.step())
    ids.emplace_back(q.text(0));
  db_.prepare("DELETE FROM triggers WHERE tenant = ? AND function = ?")
    .bind(1, tenant)
    .bind(2, fn)
    .run();
  if (ids.empty())
    return;
  ++generation_;
  std::lock_guard stats_lock(stats_mtx_);
  for (auto& id : ids)
    stats_.erase(id);
}

void trigger_store::set_checkpoint(const std::string& id, uint64_t seq) {
  std::lock_guard lock(mtx_);
  db_.prepare("UPDATE triggers SET checkpoint = ? WHERE id = ?")
    .bind(1, static_cast<int64_t>(seq))
    .bind(2, id)
    .run();
}

void trigger_store::note_run(const std::string& id, std::string_view error,
                             int64_t now_ms) {
  std::lock_guard lock(stats_mtx_);
  auto& s = stats_[id];
  ++s.invocations;
  s.last_ms = now_ms;
  if (!error.empty()) {
    ++s.failures;
    s.last_error = std::string(error.substr(0, 512));
  }
}

void trigger_store::note_dead_letter(const std::string& id) {
  std::lock_guard lock(stats_mtx_);
  ++stats_[id].dead_letters;
}

void trigger_store::note_dropped(const std::string& id) {
  std::lock_guard lock(stats_mtx_);
  ++stats_[id].dropped;
}

trigger_stats trigger_store::stats(const std::string& id) const {
  std::lock_guard lock(stats_mtx_);
  auto it = stats_.find(id);
  return it == stats_.end() ? trigger_stats{} : it->second;
}

} // namespace themis::functions
