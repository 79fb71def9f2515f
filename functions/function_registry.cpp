/// Uploaded functions: SQLite copy, compiled cache, admission (see
/// function_registry.hpp).

#include "functions/function_registry.hpp"

#include <nlohmann/json.hpp>

namespace themis::functions {

using nlohmann::json;

namespace {

json limits_json(const function_limits& l) {
  return {{"fuel", l.fuel},
          {"timeout_ms", l.timeout_ms},
          {"memory_pages", l.memory_pages},
          {"output_bytes", l.output_bytes},
          {"max_concurrent", l.max_concurrent}};
}

function_limits limits_of(const json& j, function_limits l) {
  l.fuel = j.value("fuel", l.fuel);
  l.timeout_ms = j.value("timeout_ms", l.timeout_ms);
  l.memory_pages = j.value("memory_pages", l.memory_pages);
  l.output_bytes = j.value("output_bytes", l.output_bytes);
  l.max_concurrent = j.value("max_concurrent", l.max_concurrent);
  return l;
}

/// An override within [1, cap], or the reason it is not.
template <typename T>
std::string apply(const char* name, const std::optional<uint64_t>& want,
                  uint64_t cap, T& field) {
  if (!want)
    return {};
  if (*want == 0 || *want > cap)
    return std::string(name) + " must be in [1, " + std::to_string(cap) + "]";
  field = static_cast<T>(*want);
  return {};
}

} // namespace

void function_entry::record(log_entry e, bool failed, uint64_t us) {
  invocations.fetch_add(1, std::memory_order_relaxed);
  if (failed)
    failures.fetch_add(1, std::memory_order_relaxed);
  total_us.fetch_add(us, std::memory_order_relaxed);
  auto m = max_us.load(std::memory_order_relaxed);
  while (us > m && !max_us.compare_exchange_weak(m, us))
    ;
  std::lock_guard lock(log_mtx);
  logs.push_back(std::move(e));
  while (logs.size() > max_logs)
    logs.pop_front();
}

std::vector<log_entry> function_entry::recent_logs() const {
  std::lock_guard lock(log_mtx);
  return {logs.begin(), logs.end()};
}

function_registry::function_registry(const std::string& path,
                                     int busy_timeout_ms, registry_config cfg,
                                     std::vector<std::string>& warnings) :
  cfg_(cfg),
  db_(path, false, busy_timeout_ms) {
  db_.exec("PRAGMA journal_mode=WAL");
  // the module is bound as text with its length: SQLite keeps the bytes
  // as given (NULs included) and hands them back with their length
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS functions(
      tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
      version INTEGER NOT NULL, wasm BLOB NOT NULL, limits TEXT NOT NULL,
      created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
      created_by TEXT NOT NULL, PRIMARY KEY(tenant, id)))sql");
  try { // added with route bindings; a database from before lacks it
    db_.exec("ALTER TABLE functions ADD COLUMN route INTEGER NOT NULL "
             "DEFAULT 0");
  } catch (const engine::sqlite_error&) { // already there
  }
  auto q =
    db_.prepare("SELECT tenant, id, name, version, wasm, limits, created_ms, "
                "updated_ms, created_by, route FROM functions");
  while (q.step()) {
    auto f = std::make_shared<function_entry>();
    f->tenant = q.text(0);
    f->id = q.text(1);
    f->name = q.text(2);
    f->version = q.int64(3);
    auto wasm = q.text(4);
    f->wasm_bytes = wasm.size();
    f->limits =
      limits_of(json::parse(q.text(5), nullptr, false), cfg_.defaults);
    f->created_ms = q.int64(6);
    f->updated_ms = q.int64(7);
    f->created_by = q.text(8);
    f->route = q.int64(9) != 0;
    auto c = compile_module(wasm, f->limits.memory_pages);
    if (!c.module) {
      warnings.push_back("function " + f->id + " of tenant '" + f->tenant +
                         "' no longer compiles: " + c.error);
      continue;
    }
    f->module = c.module;
    f->info = describe(*c.module);
    fns_[{f->tenant, f->id}] = f;
  }
  triggers_ = std::make_unique<trigger_store>(path, busy_timeout_ms);
}

function_registry::upload_result
function_registry::upload(const std::string& tenant, const std::string& id,
                          const std::string& name, std::string_view wasm,
                          const limit_overrides& o, const std::string& who,
                          int64_t now_ms) {
  upload_result r;
  if (wasm.size() > cfg_.max_module_bytes) {
    r.error = "the module has " + std::to_string(wasm.size()) +
              " bytes, more than the limit of " +
              std::to_string(cfg_.max_module_bytes);
    return r;
  }
  auto lim = cfg_.defaults;
  auto& cap = cfg_.defaults;
  for (auto why :
       {apply("fuel", o.fuel, cap.fuel, lim.fuel),
        apply("timeout_ms", o.timeout_ms, cap.timeout_ms, lim.timeout_ms),
        apply("memory_pages", o.memory_pages, cap.memory_pages,
              lim.memory_pages),
        apply("output_bytes", o.output_bytes, cap.output_bytes,
              lim.output_bytes),
        apply("max_concurrent", o.max_concurrent, cap.max_concurrent,
              lim.max_concurrent)})
    if (!why.empty()) {
      r.error = why;
      return r;
    }
  auto c = compile_module(wasm, lim.memory_pages);
  if (!c.module) {
    r.error = c.error;
    return r;
  }
  auto f = std::make_shared<function_entry>();
  f->tenant = tenant;
  f->id = id;
  f->name = name.empty() ? id : name;
  f->wasm_bytes = wasm.size();
  f->limits = lim;
  f->module = c.module;
  f->info = describe(*c.module);
  f->created_by = who;
  f->created_ms = f->updated_ms = now_ms;
  std::lock_guard lock(mtx_); // one upload of a tenant's id at a time
  auto old = fns_.find({tenant, id});
  if (old != fns_.end()) {
    f->version = old->second->version + 1;
    f->created_ms = old->second->created_ms;
    f->created_by = old->second->created_by;
    f->route = o.route.value_or(old->second->route);
  } else {
    f->route = o.route.value_or(false);
    f->version = 1;
  }
  {
    std::lock_guard db_lock(db_mtx_);
    db_
      .prepare("INSERT OR REPLACE INTO functions(tenant, id, name, version, "
               "wasm, limits, created_ms, updated_ms, created_by, route) "
               "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, tenant)
      .bind(2, id)
      .bind(3, f->name)
      .bind(4, f->version)
      .bind(5, wasm)
      .bind(6, limits_json(lim).dump())
      .bind(7, f->created_ms)
      .bind(8, f->updated_ms)
      .bind(9, f->created_by)
      .bind(10, int64_t{f->route})
      .run();
  }
  r.created = old == fns_.end();
  fns_[{tenant, id}] = f;
  r.entry = f;
  return r;
}

std::shared_ptr<function_entry>
function_registry::get(const std::string& tenant, const std::string& id) const {
  std::lock_guard lock(mtx_);
  auto it = fns_.find({tenant, id});
  return it == fns_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<function_entry>>
function_registry::list(const std::string& tenant) const {
  std::lock_guard lock(mtx_);
  std::vector<std::shared_ptr<function_entry>> out;
  for (auto it = fns_.lower_bound({tenant, ""});
       it != fns_.end() && it->first.first == tenant; ++it)
    out.push_back(it->second);
  return out;
}

bool function_registry::remove(const std::string& tenant,
                               const std::string& id) {
  std::lock_guard lock(mtx_);
  if (!fns_.erase({tenant, id}))
    return false;
  std::lock_guard db_lock(db_mtx_);
  db_.prepare("DELETE FROM functions WHERE tenant = ? AND id = ?")
    .bind(1, tenant)
    .bind(2, id)
    .run();
  triggers_->remove_function(tenant, id);
  return true;
}

function_registry::admission function_registry::acquire(function_entry& f) {
  std::lock_guard lock(mtx_);
  auto& t = tenant_running_[f.tenant];
  if (f.running.load() >= f.limits.max_concurrent ||
      t >= cfg_.tenant_concurrent) {
    totals_.rejected.fetch_add(1, std::memory_order_relaxed);
    return t >= cfg_.tenant_concurrent ? admission::tenant_busy
                                       : admission::function_busy;
  }
  ++t;
  f.running.fetch_add(1);
  return admission::ok;
}

void function_registry::release(function_entry& f) {
  std::lock_guard lock(mtx_);
  f.running.fetch_sub(1);
  auto it = tenant_running_.find(f.tenant);
  if (it != tenant_running_.end() && --it->second == 0)
    tenant_running_.erase(it);
}

size_t function_registry::function_count() const {
  std::lock_guard lock(mtx_);
  return fns_.size();
}

uint64_t function_registry::running() const {
  std::lock_guard lock(mtx_);
  uint64_t n = 0;
  for (auto& [tenant, count] : tenant_running_)
    n += count;
  return n;
}

std::string function_registry::path_in(const std::string& data_dir) {
  return data_dir + "/functions.db";
}

bool function_registry::valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return false;
  return true;
}

} // namespace themis::functions
