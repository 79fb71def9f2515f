/// The applier thread of search_service: builds indexes from a snapshot
/// of their collection, then follows the change log after each index's
/// high-water mark; saves vector indexes periodically and at stop.

#include <nlohmann/json.hpp>

#include "engine/search/search_entry.hpp"
#include "engine/search/search_service.hpp"
#include "engine/search/sqlite_util.hpp"

namespace themis::search {

namespace {

constexpr int64_t events_per_step = 1000;
/// Idle poll of the change log: a commit is seen within this long even
/// when no query is waiting (a waiting query wakes the applier at once).
constexpr auto idle_poll = std::chrono::milliseconds(20);

/// Applies one document (null: deleted) to a vector index; counts a
/// document whose attribute is missing or not a vector of the index's
/// dimension as skipped (and removes any older vector of it).
void apply_vector(vector::vector_index& vec, search_service::entry& e,
                  const std::string& key, const nlohmann::json* doc) {
  if (!doc) {
    vec.remove(key);
    return;
  }
  const nlohmann::json* v = attribute_of(*doc, e.def.attribute);
  std::vector<float> f;
  if (v && vector::parse_vector(*v, e.def.dimension, f).empty() &&
      vec.upsert(key, f).empty())
    return;
  if (v)
    ++e.skipped;
  vec.remove(key);
}

void apply_text(sqlite3* db, const search_service::entry& e,
                const std::string& key, const nlohmann::json* doc) {
  if (!doc)
    return fts_store::remove(db, e.def.id, key);
  const nlohmann::json* v = attribute_of(*doc, e.def.attribute);
  fts_store::upsert(db, e.def.id, key, v ? text_of(*v) : std::string());
}

} // namespace

void search_service::run() {
  while (true) {
    std::vector<std::shared_ptr<entry>> all;
    {
      std::lock_guard lock(mtx_);
      if (stop_)
        return;
      for (auto& [_, e] : entries_)
        all.push_back(e);
    }
    bool busy = false;
    for (auto& e : all) {
      if (e->dropped)
        continue;
      try {
        busy |= step(*e);
      } catch (const std::exception& ex) {
        std::lock_guard lock(mtx_);
        e->error = ex.what();
        e->state = entry_failed;
      }
      applied_cv_.notify_all();
    }
    if (std::chrono::steady_clock::now() - last_save_ >
        std::chrono::milliseconds(opts_.save_interval_ms))
      save_vectors(false);
    std::unique_lock lock(mtx_);
    if (!busy && !kick_ && !stop_)
      work_cv_.wait_for(lock, idle_poll);
    kick_ = false;
  }
}

bool search_service::step(entry& e) {
  if (e.state == entry_failed)
    return false;
  if (e.state == entry_building) {
    build(e);
    return true;
  }
  return apply_events(e);
}

void search_service::build(entry& e) {
  auto stopping = [&] {
    std::lock_guard lock(mtx_);
    return stop_ || e.dropped;
  };
  exec(store_, "BEGIN");
  struct end {
    sqlite3* db;
    ~end() { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }
  } end_read{store_};
  uint64_t snapshot = sequence_on(store_); // fixes the read snapshot
  {
    stmt c(store_, "SELECT count(*) FROM documents WHERE collection = ?1");
    c.bind(1, e.def.collection);
    e.total = c.step() ? static_cast<uint64_t>(c.int64(0)) : 0;
  }
  e.built = 0;
  e.skipped = 0;
  stmt docs(store_, "SELECT key, doc FROM documents WHERE collection = ?1");
  docs.bind(1, e.def.collection);
  if (e.def.kind == index_kind::vector) {
    auto fresh = make_vector(e.def); // published when complete
    while (docs.step()) {
      if (e.built % 256 == 0 && stopping())
        return;
      auto doc = nlohmann::json::parse(docs.text(1), nullptr, false);
      apply_vector(*fresh, e, docs.text(0),
                   doc.is_discarded() ? nullptr : &doc);
      ++e.built;
    }
    {
      std::lock_guard lock(mtx_);
      e.vec = fresh;
      e.entries = fresh->live_count();
    }
    e.applied = snapshot;
    e.dirty = true;
    save_vector(e);
    e.state = entry_ready;
    return;
  }
  std::lock_guard db_lock(db_mtx_);
  if (e.dropped)
    return;
  exec(db_, "BEGIN IMMEDIATE");
  try {
    fts_store::clear(db_, e.def.id);
    while (docs.step()) {
      auto doc = nlohmann::json::parse(docs.text(1), nullptr, false);
      apply_text(db_, e, docs.text(0), doc.is_discarded() ? nullptr : &doc);
      ++e.built;
    }
    stmt up(db_, "UPDATE search_indexes SET applied_seq = ?1, state = 'ready'"
                 " WHERE id = ?2");
    up.bind(1, static_cast<int64_t>(snapshot))
      .bind(2, static_cast<int64_t>(e.def.id))
      .step();
    exec(db_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  e.entries = static_cast<uint64_t>(fts_store::count(db_, e.def.id));
  e.applied = snapshot;
  e.state = entry_ready;
}

bool search_service::apply_events(entry& e) {
  uint64_t now = sequence_on(store_);
  uint64_t from = e.applied;
  if (now <= from)
    return false;
  {
    // retention deleted events this index has not applied: rebuild
    stmt c(store_, "SELECT COALESCE((SELECT CAST(v AS INTEGER) FROM meta"
                   " WHERE k = 'compacted_through'), 0)");
    if (c.step() && static_cast<uint64_t>(c.int64(0)) > from) {
      e.state = entry_building;
      return true;
    }
  }
  stmt ev(store_, "SELECT seq, type, key, value FROM changelog WHERE seq > ?1"
                  " AND seq <= ?2 AND collection = ?3 ORDER BY seq LIMIT ?4");
  ev.bind(1, static_cast<int64_t>(from))
    .bind(2, static_cast<int64_t>(now))
    .bind(3, e.def.collection)
    .bind(4, events_per_step);
  struct event {
    uint64_t seq;
    bool put;
    std::string key, value;
  };
  std::vector<event> events;
  while (ev.step())
    events.push_back({static_cast<uint64_t>(ev.int64(0)), ev.text(1) == "PUT",
                      ev.text(2), ev.text(3)});
  uint64_t upto = static_cast<int64_t>(events.size()) == events_per_step
                    ? events.back().seq
                    : now;
  auto doc_of = [](const event& x,
                   nlohmann::json& doc) -> const nlohmann::json* {
    if (!x.put)
      return nullptr;
    doc = nlohmann::json::parse(x.value, nullptr, false);
    return doc.is_discarded() ? nullptr : &doc;
  };
  if (e.def.kind == index_kind::vector) {
    for (auto& x : events) {
      nlohmann::json doc;
      apply_vector(*e.vec, e, x.key, doc_of(x, doc));
    }
    if (!events.empty()) {
      e.dirty = true;
      e.entries = e.vec->live_count();
    }
  } else {
    std::lock_guard db_lock(db_mtx_);
    if (e.dropped)
      return false;
    exec(db_, "BEGIN IMMEDIATE");
    try {
      for (auto& x : events) {
        nlohmann::json doc;
        apply_text(db_, e, x.key, doc_of(x, doc));
      }
      stmt up(db_, "UPDATE search_indexes SET applied_seq = ?1 WHERE id = ?2");
      up.bind(1, static_cast<int64_t>(upto))
        .bind(2, static_cast<int64_t>(e.def.id))
        .step();
      exec(db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    if (!events.empty())
      e.entries = static_cast<uint64_t>(fts_store::count(db_, e.def.id));
  }
  {
    std::lock_guard lock(mtx_);
    e.applied = upto;
  }
  return upto < now;
}

void search_service::save_vector(entry& e) {
  std::lock_guard lock(db_mtx_);
  if (e.dropped || !e.vec)
    return;
  e.vec->save(vector_path(e.def.id));
  stmt up(db_, "UPDATE search_indexes SET applied_seq = ?1, state = 'ready'"
               " WHERE id = ?2");
  up.bind(1, static_cast<int64_t>(e.applied.load()))
    .bind(2, static_cast<int64_t>(e.def.id))
    .step();
  e.saved_seq = e.applied;
  e.dirty = false;
}

void search_service::save_vectors(bool all) {
  last_save_ = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<entry>> list;
  {
    std::lock_guard lock(mtx_);
    for (auto& [_, e] : entries_)
      list.push_back(e);
  }
  for (auto& e : list) {
    if (e->def.kind != index_kind::vector || e->state != entry_ready)
      continue;
    if (!e->dirty && !(all && e->saved_seq != e->applied))
      continue;
    try {
      save_vector(*e);
    } catch (const std::exception&) {
      // kept dirty: the next save tries again; a restart replays
    }
  }
}

} // namespace themis::search
