#include "engine/search/fts_store.hpp"

#include <nlohmann/json.hpp>

#include "engine/search/sqlite_util.hpp"

namespace themis::search {

namespace {

std::string fts(uint64_t id) {
  return "fts_" + std::to_string(id);
}
std::string keys(uint64_t id) {
  return "fts_keys_" + std::to_string(id);
}

} // namespace

std::string text_of(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  std::string out;
  if (v.is_array())
    for (auto& e : v)
      if (e.is_string()) {
        if (!out.empty())
          out += '\n';
        out += e.get<std::string>();
      }
  return out;
}

void fts_store::create(sqlite3* db, uint64_t id, const std::string& tokenizer) {
  // tokenizer is one of three fixed names (index_def validates it)
  std::string tok = tokenizer == "porter"    ? "porter unicode61"
                    : tokenizer == "trigram" ? "trigram"
                                             : "unicode61";
  exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS " + fts(id) +
             " USING fts5(body, tokenize='" + tok + "', prefix='2 3')");
  exec(db, "CREATE TABLE IF NOT EXISTS " + keys(id) +
             "(rid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)");
}

void fts_store::drop(sqlite3* db, uint64_t id) {
  exec(db, "DROP TABLE IF EXISTS " + fts(id));
  exec(db, "DROP TABLE IF EXISTS " + keys(id));
}

void fts_store::clear(sqlite3* db, uint64_t id) {
  exec(db, "DELETE FROM " + fts(id));
  exec(db, "DELETE FROM " + keys(id));
}

void fts_store::upsert(sqlite3* db, uint64_t id, const std::string& key,
                       const std::string& text) {
  if (text.empty())
    return remove(db, id, key);
  int64_t rid = 0;
  {
    stmt s(db, "SELECT rid FROM " + keys(id) + " WHERE key = ?1");
    s.bind(1, key);
    if (s.step())
      rid = s.int64(0);
  }
  if (rid != 0) {
    stmt d(db, "DELETE FROM " + fts(id) + " WHERE rowid = ?1");
    d.bind(1, rid).step();
  } else {
    stmt i(db, "INSERT INTO " + keys(id) + "(key) VALUES(?1)");
    i.bind(1, key).step();
    rid = sqlite3_last_insert_rowid(db);
  }
  stmt i(db, "INSERT INTO " + fts(id) + "(rowid, body) VALUES(?1, ?2)");
  i.bind(1, rid).bind(2, text).step();
}

void fts_store::remove(sqlite3* db, uint64_t id, const std::string& key) {
  int64_t rid = 0;
  {
    stmt s(db, "SELECT rid FROM " + keys(id) + " WHERE key = ?1");
    s.bind(1, key);
    if (!s.step())
      return;
    rid = s.int64(0);
  }
  stmt d(db, "DELETE FROM " + fts(id) + " WHERE rowid = ?1");
  d.bind(1, rid).step();
  stmt k(db, "DELETE FROM " + keys(id) + " WHERE rid = ?1");
  k.bind(1, rid).step();
}

std::vector<text_hit> fts_store::search(sqlite3* db, uint64_t id,
                                        const std::string& match,
                                        size_t limit) {
  stmt s(db, "SELECT k.key, bm25(" + fts(id) + ") AS r FROM " + fts(id) +
               " JOIN " + keys(id) + " k ON k.rid = " + fts(id) +
               ".rowid WHERE " + fts(id) +
               " MATCH ?1 ORDER BY r, k.key LIMIT ?2");
  s.bind(1, match).bind(2, static_cast<int64_t>(limit));
  std::vector<text_hit> out;
  while (s.step())
    out.push_back({s.text(0), -s.real(1)});
  return out;
}

int64_t fts_store::count(sqlite3* db, uint64_t id) {
  stmt s(db, "SELECT count(*) FROM " + keys(id));
  return s.step() ? s.int64(0) : 0;
}

} // namespace themis::search
