#pragma once
/// Persistent and TTL secondary indexes on a collection's documents
/// (issue 22, docs/indexes.md): the definition a client sends to
/// POST /v1/collections/{c}/indexes, checked, and the SQLite partial
/// expression index it becomes. Pure: no database access here.
///
/// The indexed expression of a field "a.b" is exactly the text the AQL
/// FILTER push-down writes for `v.a.b` (json_extract(doc,'$.a.b')), so
/// SQLite's planner matches a pushed-down condition to the index.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::engine {

enum class doc_index_type { persistent, ttl };

struct doc_index_def {
  std::string name;
  std::string collection; ///< stored name ("tenant.c" or "c")
  doc_index_type type = doc_index_type::persistent;
  std::vector<std::string> fields; ///< attribute paths, "a.b"
  bool unique = false;
  bool sparse = false;
  double expire_after = 0; ///< ttl: seconds after the field's timestamp
  /// "inBackground": kept in a side table filled in chunks while writes
  /// go on (engine/index_background.hpp) instead of one CREATE INDEX.
  bool background = false;
  /// A background build's progress (index_builds, not the definition):
  /// "building", "ready" or "failed"; foreground indexes are "ready".
  std::string state = "ready";
  int64_t built = 0; ///< documents the build has passed
  int64_t total = 0; ///< documents when it started (an estimate)
  std::string error; ///< why a build failed
};

/// Limits a definition must stay within (hostile clients).
constexpr size_t max_index_fields = 8;
constexpr size_t max_field_path_bytes = 256;
constexpr size_t max_field_path_steps = 16;
constexpr size_t max_index_name_bytes = 64;
/// Persistent and TTL indexes one collection may hold.
constexpr size_t max_collection_indexes = 16;

/// Checks `body` ({type, fields, unique, sparse, name, expireAfter}) and
/// fills `out` (collection left empty); an error message or "".
std::string parse_doc_index(const nlohmann::json& body, doc_index_def& out);

/// `a.b` → `$.a.b`; steps that are not plain identifiers are quoted
/// (`$."a-b"`), exactly as the AQL push-down spells them. "" if the path
/// is not allowed (empty step, quotes, control bytes, too long).
std::string field_json_path(const std::string& field);

/// `json_extract(doc,'$.a.b')`: the indexed expression of one field.
std::string field_sql(const std::string& field);

/// The SQLite index's name: "docidx:<stored collection>:<name>" (a
/// background index's side table: "docbg:<stored collection>:<name>").
std::string doc_index_sqlite_name(const std::string& collection,
                                  const std::string& name);
std::string doc_index_side_name(const std::string& collection,
                                const std::string& name);

/// `'text'` with quotes doubled: a SQL string literal.
std::string quote_sql_literal(const std::string& s);
/// `"name"` with quotes doubled: a SQL identifier.
std::string quote_sql_ident(const std::string& s);

/// CREATE [UNIQUE] INDEX … ON documents(json_extract(…), …) WHERE
/// collection = '<stored>' [AND json_extract(…) IS NOT NULL …].
std::string doc_index_create_sql(const doc_index_def& d);

/// The definition as stored (collection_indexes.def) and listed.
nlohmann::json doc_index_json(const doc_index_def& d);
/// The stored JSON back into a definition (false if malformed).
bool doc_index_from_json(const nlohmann::json& j, doc_index_def& out);

/// Same indexed fields, type and options (a repeated create is a no-op).
bool same_index(const doc_index_def& a, const doc_index_def& b);

} // namespace themis::engine
