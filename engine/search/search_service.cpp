#include "engine/search/search_service.hpp"

#include <filesystem>
#include <fstream>

#include "engine/search/search_backup.hpp"
#include "engine/search/search_entry.hpp"
#include "engine/search/sqlite_util.hpp"

namespace themis::search {

namespace {

std::atomic<search_service*> g_service{nullptr};

const char* state_name(int s) {
  return s == entry_ready ? "ready" : s == entry_failed ? "failed" : "building";
}

} // namespace

nlohmann::json index_status::to_json(const std::string& shown) const {
  auto j = search::to_json(def, shown);
  j["state"] = state;
  j["fields"] = {def.attribute}; // as the other index types list theirs
  j["applied_sequence"] = applied_seq;
  j["progress"] = {{"built", built}, {"total", total}};
  j["entries"] = entries;
  j["skipped"] = skipped;
  if (!error.empty())
    j["error"] = error;
  return j;
}

search_service* search_service::global() {
  return g_service.load();
}
void search_service::set_global(search_service* s) {
  g_service.store(s);
}

search_service::search_service(search_options opts) : opts_(std::move(opts)) {}

search_service::~search_service() {
  stop();
  for (auto* r : readers_)
    sqlite3_close_v2(r);
  sqlite3_close_v2(db_);
  sqlite3_close_v2(store_);
  sqlite3_close_v2(seq_db_);
}

std::string search_service::vector_path(uint64_t id) const {
  return (std::filesystem::path(opts_.data_dir) / "vector" /
          ("index_" + std::to_string(id) + ".hnsw"))
    .string();
}

void search_service::start() {
  std::filesystem::create_directories(std::filesystem::path(opts_.data_dir) /
                                      "vector");
  // a backup directory started as a data directory: its index definitions
  // (search_backup.hpp) become indexes to build
  auto defs = std::filesystem::path(opts_.data_dir) / backup_definitions_name;
  std::error_code ec;
  if (!std::filesystem::exists(
        std::filesystem::path(opts_.data_dir) / "search.db", ec) &&
      std::filesystem::exists(defs, ec)) {
    std::ifstream f(defs);
    auto j = nlohmann::json::parse(f, nullptr, false);
    if (!j.is_discarded())
      (void)import_definitions(opts_.data_dir, j); // unreadable: none
  }
  db_ = open((std::filesystem::path(opts_.data_dir) / "search.db").string(),
             false, opts_.busy_timeout_ms);
  exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  exec(db_, catalog_schema_sql); // search_backup.hpp
  store_ = open(opts_.store_path, true, opts_.busy_timeout_ms);
  seq_db_ = open(opts_.store_path, true, opts_.busy_timeout_ms);
  stmt s(db_, "SELECT id, def, applied_seq, state FROM search_indexes");
  while (s.step()) {
    auto j = nlohmann::json::parse(s.text(1), nullptr, false);
    auto def = from_storage(j);
    if (!def)
      continue; // unreadable definition: left alone, not served
    auto e = std::make_shared<entry>();
    e->def = *def;
    bool ready = s.text(3) == "ready";
    if (e->def.kind == index_kind::vector) {
      auto v = make_vector(e->def);
      if (ready && v->load(vector_path(e->def.id))) {
        e->vec = std::move(v);
        e->applied = static_cast<uint64_t>(s.int64(2));
        e->saved_seq = e->applied;
        e->state = entry_ready;
      }
    } else if (ready) {
      e->applied = static_cast<uint64_t>(s.int64(2));
      e->state = entry_ready;
    }
    entries_[e->def.id] = e;
  }
  last_save_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
}

void search_service::stop() {
  {
    std::lock_guard lock(mtx_);
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  work_cv_.notify_all();
  applied_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    save_vectors(true);
  }
}

std::shared_ptr<search_service::entry> search_service::find(uint64_t id) const {
  std::lock_guard lock(mtx_);
  auto it = entries_.find(id);
  if (it == entries_.end())
    throw search_error(404, "the index was dropped");
  return it->second;
}

index_status search_service::status_of(const entry& e) const {
  index_status s;
  s.def = e.def;
  s.state = state_name(e.state);
  s.applied_seq = e.applied;
  s.built = e.built;
  s.total = e.total;
  s.skipped = e.skipped;
  s.entries = e.entries;
  s.error = e.error; // under mtx_ (callers hold it)
  return s;
}

index_status search_service::create_index(index_def d) {
  {
    std::lock_guard lock(mtx_);
    size_t n = 0;
    for (auto& [_, e] : entries_) {
      if (e->def.collection != d.collection)
        continue;
      ++n;
      if (e->def.name == d.name)
        throw search_error(409, "an index named '" + d.name +
                                  "' exists on this collection");
      if (e->def.kind == d.kind && e->def.attribute == d.attribute)
        throw search_error(
          409,
          "a " +
            std::string(d.kind == index_kind::vector ? "vector" : "fulltext") +
            " index on '" + d.attribute + "' exists on this collection ('" +
            e->def.name + "')");
    }
    if (n >= opts_.max_indexes_per_collection)
      throw search_error(409,
                         "the collection has " + std::to_string(n) +
                           " search indexes; the limit is " +
                           std::to_string(opts_.max_indexes_per_collection));
  }
  {
    std::lock_guard lock(db_mtx_);
    exec(db_, "BEGIN IMMEDIATE");
    try {
      stmt ins(db_, "INSERT INTO search_indexes(def) VALUES('{}')");
      ins.step();
      d.id = static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
      stmt up(db_, "UPDATE search_indexes SET def = ?1 WHERE id = ?2");
      up.bind(1, to_storage(d).dump())
        .bind(2, static_cast<int64_t>(d.id))
        .step();
      if (d.kind == index_kind::fulltext)
        fts_store::create(db_, d.id, d.tokenizer);
      exec(db_, "COMMIT");
    } catch (...) {
      exec(db_, "ROLLBACK");
      throw;
    }
  }
  auto e = std::make_shared<entry>();
  e->def = d;
  std::lock_guard lock(mtx_);
  entries_[d.id] = e;
  kick_ = true;
  work_cv_.notify_all();
  return status_of(*e);
}

bool search_service::drop_index(const std::string& collection,
                                const std::string& name) {
  std::shared_ptr<entry> e;
  {
    std::lock_guard lock(mtx_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second->def.collection == collection &&
          it->second->def.name == name) {
        e = it->second;
        entries_.erase(it);
        break;
      }
  }
  if (!e)
    return false;
  e->dropped = true;
  applied_cv_.notify_all();
  std::lock_guard lock(db_mtx_);
  stmt del(db_, "DELETE FROM search_indexes WHERE id = ?1");
  del.bind(1, static_cast<int64_t>(e->def.id)).step();
  if (e->def.kind == index_kind::fulltext)
    fts_store::drop(db_, e->def.id);
  std::error_code ec;
  std::filesystem::remove(vector_path(e->def.id), ec);
  std::filesystem::remove(vector_path(e->def.id) + ".keys", ec);
  return true;
}

std::vector<index_status>
search_service::list(const std::string& collection) const {
  std::lock_guard lock(mtx_);
  std::vector<index_status> out;
  for (auto& [_, e] : entries_)
    if (collection.empty() || e->def.collection == collection)
      out.push_back(status_of(*e));
  return out;
}

index_status search_service::resolve(index_kind kind,
                                     const std::string& collection,
                                     const std::string& name,
                                     const std::string& attribute) const {
  std::lock_guard lock(mtx_);
  const entry* found = nullptr;
  size_t matches = 0;
  for (auto& [_, e] : entries_) {
    auto& d = e->def;
    if (d.collection != collection || d.kind != kind)
      continue;
    if (!name.empty() ? d.name == name
                      : attribute.empty() || d.attribute == attribute) {
      found = e.get();
      ++matches;
    }
  }
  const char* what = kind == index_kind::vector ? "vector" : "fulltext";
  if (!found)
    throw search_error(
      404, std::string("no ") + what + " index" +
             (name.empty()
                ? attribute.empty() ? std::string() : " on '" + attribute + "'"
                : " named '" + name + "'") +
             " for this collection");
  if (matches > 1)
    throw search_error(400, std::string("the collection has several ") + what +
                              " indexes; name one with 'field' or 'index'");
  return status_of(*found);
}

uint64_t search_service::sequence_on(sqlite3* db) {
  stmt s(db, "SELECT max(COALESCE((SELECT max(seq) FROM changelog), 0),"
             " COALESCE((SELECT CAST(v AS INTEGER) FROM meta"
             " WHERE k = 'compacted_through'), 0))");
  return s.step() ? static_cast<uint64_t>(s.int64(0)) : 0;
}

uint64_t search_service::current_sequence() {
  std::lock_guard lock(seq_mtx_);
  return sequence_on(seq_db_);
}

void search_service::wait_applied(uint64_t id, uint64_t seq) {
  auto e = find(id);
  std::unique_lock lock(mtx_);
  kick_ = true;
  work_cv_.notify_all();
  auto done = [&] {
    return stop_ || e->dropped || e->state == entry_failed ||
           (e->state == entry_ready && e->applied >= seq);
  };
  applied_cv_.wait_for(lock, std::chrono::milliseconds(opts_.wait_ms), done);
  if (e->dropped)
    throw search_error(404, "the index was dropped");
  if (e->state == entry_failed)
    throw search_error(500, "the index failed: " + e->error);
  if (e->state != entry_ready)
    throw search_error(503, "the index is building (" +
                              std::to_string(e->built.load()) + " of " +
                              std::to_string(e->total.load()) +
                              " documents); retry later");
  if (e->applied < seq)
    throw search_error(503, "the index has not caught up with the change log "
                            "within " +
                              std::to_string(opts_.wait_ms) + " ms");
}

std::vector<vector::hit>
search_service::vector_search(uint64_t id, std::span<const float> q, size_t k) {
  auto e = find(id);
  std::shared_ptr<vector::vector_index> v;
  {
    std::lock_guard lock(mtx_);
    v = e->vec;
  }
  if (!v)
    throw search_error(503, "the index is building; retry later");
  if (q.size() != v->dimension())
    throw search_error(400, "the query vector has dimension " +
                              std::to_string(q.size()) + "; the index has " +
                              std::to_string(v->dimension()));
  return v->search(q, k);
}

void search_service::set_ef_search(uint64_t id, size_t ef) {
  auto e = find(id);
  std::shared_ptr<vector::vector_index> v;
  {
    std::lock_guard lock(mtx_);
    e->def.ef_search = ef;
    v = e->vec;
  }
  if (v)
    v->set_ef_search(ef);
  std::lock_guard lock(db_mtx_);
  stmt up(db_, "UPDATE search_indexes SET def = ?1 WHERE id = ?2");
  up.bind(1, to_storage(e->def).dump())
    .bind(2, static_cast<int64_t>(id))
    .step();
}

sqlite3* search_service::borrow_reader() {
  {
    std::lock_guard lock(pool_mtx_);
    if (!readers_.empty()) {
      auto* r = readers_.back();
      readers_.pop_back();
      return r;
    }
  }
  return open((std::filesystem::path(opts_.data_dir) / "search.db").string(),
              true, opts_.busy_timeout_ms);
}

void search_service::give_back(sqlite3* db) {
  std::lock_guard lock(pool_mtx_);
  if (readers_.size() < 8)
    readers_.push_back(db);
  else
    sqlite3_close_v2(db);
}

std::vector<text_hit> search_service::fulltext_search(uint64_t id,
                                                      const std::string& match,
                                                      size_t limit) {
  auto* db = borrow_reader();
  struct back {
    search_service* s;
    sqlite3* db;
    ~back() { s->give_back(db); }
  } b{this, db};
  try {
    return fts_store::search(db, id, match, limit);
  } catch (const std::runtime_error& e) {
    // translate_fts_query's output is always valid FTS5; what remains is
    // a tokenizer corner (e.g. a trigram index and a 1-letter word)
    throw search_error(400, std::string("full-text query error: ") + e.what());
  }
}

} // namespace themis::search
