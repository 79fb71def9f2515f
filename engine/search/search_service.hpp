#pragma once
/// Vector and full-text indexes that follow the committed change log.
///
/// Each index has a high-water mark: the change-log sequence it has
/// applied. One applier thread reads committed events after each mark and
/// applies the PUTs/DELETEs of the index's collection (hnswlib update /
/// markDelete; FTS5 rows in search.db); so an index never sees
/// uncommitted data, and after a crash it replays from its persisted mark
/// (full-text: the mark commits with the rows; vector: with each saved
/// file — replay is idempotent). A new index, a missing or unreadable
/// file, or a log compacted past the mark is (re)built in the background
/// from one snapshot of the collection, with progress.
///
/// Queries wait (bounded) until the index has applied the sequence that
/// was current when they started: a search sees every write committed
/// before it began. Plain C++ (no CAF): handlers and AQL functions call it
/// from worker threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/search/fts_store.hpp"
#include "engine/search/index_def.hpp"
#include "engine/vector/vector_index.hpp"

struct sqlite3;

namespace themis::search {

struct search_options {
  std::string data_dir;   ///< search.db and vector/ live here
  std::string store_path; ///< themis.db (read-only use)
  int busy_timeout_ms = 5000;
  uint32_t save_interval_ms = 30000; ///< vector files saved when changed
  size_t max_indexes_per_collection = 8;
  uint32_t wait_ms = 5000; ///< how long a query waits for its index
};

/// What the API shows about an index.
struct index_status {
  index_def def;
  std::string state; ///< building | ready | failed
  uint64_t applied_seq = 0;
  uint64_t built = 0, total = 0; ///< build progress (documents)
  uint64_t entries = 0;          ///< vectors / texts indexed
  uint64_t skipped = 0; ///< documents whose attribute could not be indexed
  std::string error;
  nlohmann::json to_json(const std::string& shown) const;
};

/// A failure with the HTTP status it maps to.
struct search_error : std::runtime_error {
  int status;
  search_error(int s, const std::string& m) :
    std::runtime_error(m), status(s) {}
};

class search_service {
public:
  explicit search_service(search_options opts);
  ~search_service();
  search_service(const search_service&) = delete;
  search_service& operator=(const search_service&) = delete;

  /// Loads the catalog and starts the applier thread.
  void start();
  /// Stops the applier and saves every changed vector index.
  void stop();

  /// The process's service (null when the server runs without one): AQL
  /// functions have no other way to reach it.
  static search_service* global();
  static void set_global(search_service* s);

  /// Throws search_error (400 bad definition, 409 exists/limit).
  index_status create_index(index_def d);
  /// False if there is no such index.
  bool drop_index(const std::string& collection, const std::string& name);
  /// Indexes of `collection` ("" = of every collection; callers keep
  /// what the principal may see).
  std::vector<index_status> list(const std::string& collection) const;
  /// Finds the index a query means: by name, else by attribute, else the
  /// only index of that kind on the collection. Throws search_error 404
  /// (none) or 400 (ambiguous).
  index_status resolve(index_kind kind, const std::string& collection,
                       const std::string& name,
                       const std::string& attribute) const;
  /// The change-log sequence committed now.
  uint64_t current_sequence();
  /// Waits until index `id` applied `seq` (bounded by wait_ms); throws
  /// search_error 503 if it did not (building, or behind).
  void wait_applied(uint64_t id, uint64_t seq);

  std::vector<vector::hit> vector_search(uint64_t id, std::span<const float> q,
                                         size_t k);
  std::vector<text_hit> fulltext_search(uint64_t id, const std::string& match,
                                        size_t limit);
  void set_ef_search(uint64_t id, size_t ef);
  /// ThemisDB's /vector/index/save and /load (vector_snapshot.cpp): the
  /// index written to directory `dir` now / replaced by what `dir` holds
  /// (refused, search_error 400/404, unless it is a snapshot of the same
  /// collection, attribute, dimension and metric). Returns its description.
  nlohmann::json save_vector_snapshot(uint64_t id, const std::string& dir);
  nlohmann::json load_vector_snapshot(uint64_t id, const std::string& dir);

  /// What the store holds about a collection's own (non-search) indexes,
  /// for the index API (search_facts.cpp): whether it exists, its SQL
  /// table definition (sql_tables.def, "" for a REST collection) and
  /// whether any of its documents is an edge (has `_from`; read through
  /// the partial index documents_edge_from, not a scan).
  struct collection_facts {
    bool exists = false;
    std::string sql_def;
    bool edges = false;
  };
  collection_facts facts_of(const std::string& collection);

  /// One index's live state (engine/search/search_entry.hpp).
  struct entry;

private:
  std::shared_ptr<entry> find(uint64_t id) const;
  index_status status_of(const entry& e) const;
  void run();
  bool step(entry& e);
  uint64_t sequence_on(sqlite3* db);
  void save_vector(entry& e);
  void build(entry& e);
  bool apply_events(entry& e);
  void save_vectors(bool all);
  std::string vector_path(uint64_t id) const;
  sqlite3* borrow_reader();
  void give_back(sqlite3* db);

  search_options opts_;
  sqlite3* db_ = nullptr;     ///< search.db, read-write (catalog, FTS)
  sqlite3* store_ = nullptr;  ///< themis.db, the applier's reads
  sqlite3* seq_db_ = nullptr; ///< themis.db, current_sequence()
  mutable std::mutex db_mtx_, seq_mtx_, pool_mtx_;
  std::vector<sqlite3*> readers_; ///< idle search.db readers

  mutable std::mutex mtx_; ///< entries_, cv_s, stop_
  std::condition_variable work_cv_, applied_cv_;
  std::map<uint64_t, std::shared_ptr<entry>> entries_;
  bool stop_ = false;
  bool kick_ = false;
  std::thread thread_;
  std::chrono::steady_clock::time_point last_save_;
};

} // namespace themis::search
