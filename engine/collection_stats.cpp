#include "engine/collection_stats.hpp"

#include "engine/index_store.hpp"
#include "engine/sqlite_db.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;

/// (entries, bytes, pages) of one SQLite index; zeros if dbstat is not
/// compiled in or the index is missing. An index b-tree keeps entries in
/// its interior pages too (only table b-trees are B+trees): every cell
/// of every page is one entry.
json index_size(sqlite_db& db, const std::string& sqlite_name) {
  json out = {{"entries", 0}, {"bytes", 0}, {"pages", 0}};
  try {
    auto s = db.prepare("SELECT COALESCE(SUM(ncell), 0), COALESCE(SUM(pgsize), "
                        "0), COUNT(*) FROM dbstat WHERE name = ?1");
    s.bind(1, sqlite_name);
    if (s.step())
      out = {
        {"entries", s.int64(0)}, {"bytes", s.int64(1)}, {"pages", s.int64(2)}};
  } catch (const sqlite_error&) {
  }
  return out;
}

} // namespace

std::optional<json> collection_properties(sqlite_db& db,
                                          const std::string& stored) {
  auto s = db.prepare(
    "SELECT c.created_ms, COALESCE((SELECT t.type FROM collection_types t "
    "WHERE t.name = c.name), 'document') FROM collections c WHERE c.name = ?1");
  s.bind(1, stored);
  if (!s.step())
    return std::nullopt;
  std::string type(s.text(1));
  return json{{"type", type},
              {"edge", type == "edge"},
              {"created_ms", s.int64(0)},
              {"indexes", load_doc_indexes(db.handle(), stored).size()}};
}

std::optional<json> collection_statistics(sqlite_db& db,
                                          const std::string& stored) {
  if (!db.prepare("SELECT 1 FROM collections WHERE name = ?1")
         .bind(1, stored)
         .step())
    return std::nullopt;
  json out;
  {
    auto s = db.prepare("SELECT COUNT(*), COALESCE(SUM(length(doc)), 0) "
                        "FROM documents WHERE collection = ?1");
    s.bind(1, stored).step();
    out["count"] = s.int64(0);
    out["documents_bytes"] = s.int64(1);
  }
  {
    // newest first: stops at the collection's latest event
    auto s = db.prepare("SELECT seq FROM changelog WHERE collection = ?1 "
                        "ORDER BY seq DESC LIMIT 1");
    s.bind(1, stored);
    out["last_sequence"] = s.step() ? s.int64(0) : 0;
  }
  json idx = json::array();
  for (auto& d : load_doc_indexes(db.handle(), stored)) {
    // a background index: its side table's values index (key, values)
    auto name = d.background ? doc_index_side_name(stored, d.name) + ":v"
                             : doc_index_sqlite_name(stored, d.name);
    auto size = index_size(db, name);
    size["name"] = d.name;
    size["type"] = doc_index_json(d).value("type", "persistent");
    idx.push_back(std::move(size));
  }
  out["indexes"] = std::move(idx);
  return out;
}

} // namespace themis::engine
