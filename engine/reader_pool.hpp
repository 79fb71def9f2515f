#pragma once
/// Read-only SQLite connections shared by all threads. WAL mode lets
/// readers see the latest commit without queueing behind the writer.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/read_types.hpp"
#include "engine/store_schema.hpp"

namespace themis::engine {

class sqlite_db;

class reader_pool {
public:
  /// The writer must have created the schema first.
  explicit reader_pool(const store_options& opts);
  ~reader_pool();

  std::optional<document> get(const std::string& collection,
                              const std::string& key);
  bool collection_exists(const std::string& name);
  std::vector<collection_info> collections();
  /// Documents stored in `tenant`'s collections ("tenant.*"): a range of
  /// the primary key, for the tenant's storage quota.
  int64_t tenant_documents(const std::string& tenant);
  /// Documents with key > `after`, in key order (stable paging).
  std::vector<document> list(const std::string& collection,
                             const std::string& after, size_t limit);
  /// Change-log events with sequence > `after` (resume is exclusive).
  std::vector<change_event> changes_after(uint64_t after, size_t limit);
  uint64_t last_sequence();
  /// Highest sequence removed by retention (0: nothing removed). A resume
  /// "after N" is complete only if N >= compacted_through().
  uint64_t compacted_through();

  /// Reads that found every connection busy and waited, and how long in
  /// all (/metrics).
  uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }
  uint64_t wait_ns() const { return wait_ns_.load(std::memory_order_relaxed); }

private:
  class lease;
  std::unique_ptr<sqlite_db> acquire();
  void release(std::unique_ptr<sqlite_db> db);

  store_options opts_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sqlite_db>> idle_;
  std::atomic<uint64_t> waits_{0}, wait_ns_{0};
};

} // namespace themis::engine
