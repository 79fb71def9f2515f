/// search_service::facts_of: the store's side of the index API's listing
/// (GET /v1/collections/{c}/indexes shows primary, edge and persistent
/// indexes beside the search indexes; handlers/index_handlers.cpp).

#include "engine/search/search_service.hpp"
#include "engine/search/sqlite_util.hpp"

namespace themis::search {

search_service::collection_facts
search_service::facts_of(const std::string& collection) {
  collection_facts f;
  std::lock_guard lock(seq_mtx_);
  if (!seq_db_)
    return f;
  exec(seq_db_, "BEGIN"); // one snapshot for the three reads
  struct end {
    sqlite3* db;
    ~end() { sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr); }
  } end_read{seq_db_};
  {
    stmt s(seq_db_, "SELECT 1 FROM collections WHERE name = ?1");
    s.bind(1, collection);
    f.exists = s.step();
  }
  {
    stmt s(seq_db_, "SELECT def FROM sql_tables WHERE name = ?1");
    s.bind(1, collection);
    if (s.step())
      f.sql_def = s.text(0);
  }
  {
    // the partial index's own condition, so SQLite answers from it
    stmt s(seq_db_, "SELECT 1 FROM documents WHERE collection = ?1 AND "
                    "instr(doc, '\"_from\"') > 0 AND "
                    "json_extract(doc, '$._from') IS NOT NULL LIMIT 1");
    s.bind(1, collection);
    f.edges = s.step();
  }
  return f;
}

} // namespace themis::search
