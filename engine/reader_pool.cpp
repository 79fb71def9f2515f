#include "engine/reader_pool.hpp"

#include <chrono>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

/// Borrows a connection for one call and gives it back on every path.
class reader_pool::lease {
public:
  explicit lease(reader_pool& pool) : pool_(pool), db_(pool.acquire()) {}
  ~lease() { pool_.release(std::move(db_)); }
  sqlite_db* operator->() { return db_.get(); }

private:
  reader_pool& pool_;
  std::unique_ptr<sqlite_db> db_;
};

reader_pool::reader_pool(const store_options& opts) : opts_(opts) {
  auto n = opts.readers == 0 ? 1u : opts.readers;
  for (unsigned i = 0; i < n; ++i) {
    auto db = std::make_unique<sqlite_db>(database_path(opts), true,
                                          opts.busy_timeout_ms);
    db->exec("PRAGMA query_only=1");
    idle_.push_back(std::move(db));
  }
}

reader_pool::~reader_pool() = default;

std::unique_ptr<sqlite_db> reader_pool::acquire() {
  std::unique_lock<std::mutex> guard(mtx_);
  if (idle_.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    cv_.wait(guard, [this] { return !idle_.empty(); });
    waits_.fetch_add(1, std::memory_order_relaxed);
    wait_ns_.fetch_add(static_cast<uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - t0)
                           .count()),
                       std::memory_order_relaxed);
  }
  auto db = std::move(idle_.back());
  idle_.pop_back();
  return db;
}

void reader_pool::release(std::unique_ptr<sqlite_db> db) {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    idle_.push_back(std::move(db));
  }
  cv_.notify_one();
}

std::optional<document> reader_pool::get(const std::string& collection,
                                         const std::string& key) {
  lease db(*this);
  auto s = db->prepare(
    "SELECT rev, doc FROM documents WHERE collection = ?1 AND key = ?2");
  s.bind(1, collection).bind(2, key);
  if (!s.step())
    return std::nullopt;
  return document{key, std::string(s.text(0)), std::string(s.text(1))};
}

bool reader_pool::collection_exists(const std::string& name) {
  lease db(*this);
  auto s = db->prepare("SELECT 1 FROM collections WHERE name = ?1");
  s.bind(1, name);
  return s.step();
}

std::vector<collection_info> reader_pool::collections() {
  lease db(*this);
  auto s = db->prepare(
    "SELECT c.name, (SELECT COUNT(*) FROM documents d "
    "WHERE d.collection = c.name), COALESCE((SELECT t.type FROM "
    "collection_types t WHERE t.name = c.name), 'document') "
    "FROM collections c ORDER BY c.name");
  std::vector<collection_info> out;
  while (s.step())
    out.push_back(
      {std::string(s.text(0)), s.int64(1), std::string(s.text(2))});
  return out;
}

int64_t reader_pool::tenant_documents(const std::string& tenant) {
  lease db(*this);
  return engine::tenant_documents(db->handle(), tenant);
}

std::vector<document> reader_pool::list(const std::string& collection,
                                        const std::string& after,
                                        size_t limit) {
  lease db(*this);
  auto s = db->prepare("SELECT key, rev, doc FROM documents WHERE "
                       "collection = ?1 AND key > ?2 ORDER BY key LIMIT ?3");
  s.bind(1, collection).bind(2, after).bind(3, static_cast<int64_t>(limit));
  std::vector<document> out;
  while (s.step())
    out.push_back(
      {std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2))});
  return out;
}

std::vector<change_event> reader_pool::changes_after(uint64_t after,
                                                     size_t limit) {
  lease db(*this);
  auto s = db->prepare("SELECT seq, type, collection, key, value, "
                       "timestamp_ms FROM changelog WHERE seq > ?1 "
                       "ORDER BY seq LIMIT ?2");
  s.bind(1, static_cast<int64_t>(after)).bind(2, static_cast<int64_t>(limit));
  std::vector<change_event> out;
  while (s.step()) {
    change_event e;
    e.sequence = static_cast<uint64_t>(s.int64(0));
    e.type = s.text(1);
    e.collection = s.text(2);
    e.key = s.text(3);
    e.value = s.text(4);
    e.timestamp_ms = s.int64(5);
    out.push_back(std::move(e));
  }
  return out;
}

uint64_t reader_pool::last_sequence() {
  lease db(*this);
  auto s = db->prepare(
    "SELECT MAX(COALESCE((SELECT MAX(seq) FROM changelog), 0), "
    "COALESCE((SELECT v FROM meta WHERE k = 'compacted_through'), 0))");
  s.step();
  return static_cast<uint64_t>(s.int64(0));
}

uint64_t reader_pool::compacted_through() {
  lease db(*this);
  auto s = db->prepare("SELECT v FROM meta WHERE k = 'compacted_through'");
  return s.step() ? static_cast<uint64_t>(s.int64(0)) : 0;
}

} // namespace themis::engine
