#include "engine/search/search_backup.hpp"

#include <filesystem>

#include "engine/search/fts_store.hpp"
#include "engine/search/index_def.hpp"
#include "engine/search/sqlite_util.hpp"

namespace themis::search {

namespace fs = std::filesystem;

nlohmann::json export_definitions(const std::string& data_dir) {
  auto out = nlohmann::json::array();
  auto path = (fs::path(data_dir) / "search.db").string();
  std::error_code ec;
  if (!fs::exists(path, ec))
    return out;
  // read-write without create: a read-only connection cannot open a WAL
  // database whose -shm it may not create (as engine/backup.cpp)
  sqlite3* db = open(path, false, 5000);
  struct closer {
    sqlite3* db;
    ~closer() { sqlite3_close_v2(db); }
  } close_db{db};
  stmt probe(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                 "'search_indexes'");
  if (!probe.step() || probe.int64(0) == 0)
    return out;
  stmt s(db, "SELECT def FROM search_indexes ORDER BY id");
  while (s.step()) {
    auto j = nlohmann::json::parse(s.text(0), nullptr, false);
    if (from_storage(j)) // an unreadable one is not served either
      out.push_back(std::move(j));
  }
  return out;
}

std::string import_definitions(const std::string& data_dir,
                               const nlohmann::json& defs) {
  if (!defs.is_array())
    return std::string(backup_definitions_name) + " is not a JSON array";
  if (defs.size() > 100000)
    return std::string(backup_definitions_name) + " has too many entries";
  std::vector<index_def> parsed;
  for (auto& j : defs) {
    auto d = from_storage(j);
    if (!d || d->id == 0)
      return std::string(backup_definitions_name) +
             ": an entry is not an index definition";
    parsed.push_back(*d);
  }
  try {
    sqlite3* db =
      open((fs::path(data_dir) / "search.db").string(), false, 5000);
    struct closer {
      sqlite3* db;
      ~closer() { sqlite3_close_v2(db); }
    } close_db{db};
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, catalog_schema_sql);
    exec(db, "BEGIN IMMEDIATE");
    for (auto& d : parsed) {
      stmt ins(db, "INSERT INTO search_indexes(id, def, applied_seq, state)"
                   " VALUES(?1, ?2, 0, 'building')");
      ins.bind(1, static_cast<int64_t>(d.id)).bind(2, to_storage(d).dump());
      ins.step();
      if (d.kind == index_kind::fulltext)
        fts_store::create(db, d.id, d.tokenizer);
    }
    exec(db, "COMMIT");
  } catch (const std::exception& e) {
    return std::string("search indexes: ") + e.what();
  }
  return {};
}

} // namespace themis::search
