#pragma once
/// The FTS5 side of a full-text index: one FTS5 table per index in
/// search.db (`fts_<id>`, the attribute's text, BM25 ranking) and a key
/// table (`fts_keys_<id>`: document key ↔ FTS rowid) so updates and
/// deletes reach one row by rowid instead of scanning.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

struct sqlite3;

namespace themis::search {

struct text_hit {
  std::string key;
  double score = 0; ///< -bm25(): larger is better
};

/// The text of an attribute value: a string, or the strings of an array
/// joined by newlines; "" (not indexed) for anything else.
std::string text_of(const nlohmann::json& v);

class fts_store {
public:
  static void create(sqlite3* db, uint64_t id, const std::string& tokenizer);
  static void drop(sqlite3* db, uint64_t id);
  static void clear(sqlite3* db, uint64_t id);
  /// Sets `key`'s text ("" removes it).
  static void upsert(sqlite3* db, uint64_t id, const std::string& key,
                     const std::string& text);
  static void remove(sqlite3* db, uint64_t id, const std::string& key);
  /// Rows matching the FTS5 expression `match` (from translate_fts_query),
  /// best BM25 first. Throws std::runtime_error on an FTS5 error.
  static std::vector<text_hit> search(sqlite3* db, uint64_t id,
                                      const std::string& match, size_t limit);
  static int64_t count(sqlite3* db, uint64_t id);
};

} // namespace themis::search
