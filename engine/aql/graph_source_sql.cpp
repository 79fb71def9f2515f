#include "engine/aql/graph_source_sql.hpp"

#include <algorithm>

#include <sqlite3.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/query_run.hpp"

namespace themis::aql {

namespace {

/// The edge lookups; `instr(doc, '"_from"') > 0` repeats the partial
/// index's condition word for word so the index applies, and INDEXED BY
/// makes SQLite use it: without statistics it prefers the primary key
/// (collection, key) range, a scan of the whole edge collection per step.
/// Should the index ever not apply, preparing fails instead of scanning.
constexpr const char* from_sql =
  "SELECT key, doc FROM documents INDEXED BY documents_edge_from "
  "WHERE collection = ?1 AND instr(doc, '\"_from\"') > 0 AND json_extract(doc, "
  "'$._from') = ?2 "
  "ORDER BY key";
constexpr const char* to_sql =
  "SELECT key, doc FROM documents INDEXED BY documents_edge_to "
  "WHERE collection = ?1 AND instr(doc, '\"_to\"') > 0 AND json_extract(doc, "
  "'$._to') = ?2 "
  "ORDER BY key";

/// Edges kept for re-expansion before the cache is dropped.
constexpr size_t max_cached_edges = 200'000;

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    throw aql_error(error_kind::internal,
                    std::string("engine: ") + sqlite3_errmsg(db));
  return s;
}

} // namespace

graph_source_sql::graph_source_sql(
  query_run& run, const std::vector<std::string>& edge_collections) :
  run_(run),
  names_(edge_collections) {
  for (auto& n : names_) {
    if (!run_.collection_exists(n))
      throw aql_error(error_kind::collection_not_found,
                      "edge collection not found: " + n);
    stored_.push_back(run_.stored(n));
  }
  by_from_ = prepare(run_.database(), from_sql);
  by_to_ = prepare(run_.database(), to_sql);
}

graph_source_sql::~graph_source_sql() {
  sqlite3_finalize(by_from_);
  sqlite3_finalize(by_to_);
}

void graph_source_sql::tick() {
  run_.check_stop();
}

void graph_source_sql::lookup(size_t coll, const char* column,
                              const std::string& vertex,
                              std::vector<edge_ptr>& out) {
  auto* s = column[1] == 'f' ? by_from_ : by_to_;
  sqlite3_reset(s);
  auto& c = stored_[coll];
  sqlite3_bind_text(s, 1, c.data(), static_cast<int>(c.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, vertex.data(), static_cast<int>(vertex.size()),
                    SQLITE_TRANSIENT);
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      sqlite3_reset(s);
      if (rc == SQLITE_INTERRUPT)
        run_.check_stop();
      throw aql_error(error_kind::internal,
                      std::string("engine: ") + sqlite3_errstr(rc));
    }
    run_.progress.rows_scanned.fetch_add(1, std::memory_order_relaxed);
    auto key = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    auto len = static_cast<size_t>(sqlite3_column_bytes(s, 1));
    auto e = std::make_shared<graph_edge>();
    e->doc = json::parse(text, text + len, nullptr, false);
    if (e->doc.is_discarded() || !e->doc.is_object())
      continue;
    e->id = names_[coll] + "/" + key;
    e->doc["_id"] = e->id;
    auto f = e->doc.find("_from");
    auto t = e->doc.find("_to");
    if (f == e->doc.end() || !f->is_string() || t == e->doc.end() ||
        !t->is_string())
      continue;
    e->from = f->get<std::string>();
    e->to = t->get<std::string>();
    out.push_back(std::move(e));
  }
  sqlite3_reset(s);
}

void graph_source_sql::edges(const std::string& vertex, edge_direction dir,
                             std::vector<edge_ptr>& out) {
  std::string ck(1, static_cast<char>('0' + static_cast<int>(dir)));
  ck += vertex;
  if (auto it = cache_.find(ck); it != cache_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
    return;
  }
  std::vector<edge_ptr> found;
  for (size_t c = 0; c < stored_.size(); ++c) {
    if (dir != edge_direction::inbound)
      lookup(c, "_from", vertex, found);
    if (dir != edge_direction::outbound) {
      auto before = found.size();
      lookup(c, "_to", vertex, found);
      if (dir == edge_direction::any) // a self-loop came through _from
        found.erase(
          std::remove_if(found.begin() + static_cast<long>(before), found.end(),
                         [&](const edge_ptr& e) { return e->from == vertex; }),
          found.end());
    }
  }
  out.insert(out.end(), found.begin(), found.end());
  if (cached_edges_ + found.size() > max_cached_edges) {
    cache_.clear();
    cached_edges_ = 0;
  }
  cached_edges_ += found.size();
  cache_.emplace(std::move(ck), std::move(found));
}

json graph_source_sql::vertex(const std::string& handle) {
  std::string coll, key;
  if (!split_handle(handle, coll, key) || !run_.collection_exists(coll))
    return nullptr;
  auto doc = run_.read_document(coll, key);
  if (doc.is_object())
    doc["_id"] = handle;
  return doc.is_object() ? doc : json();
}

} // namespace themis::aql
