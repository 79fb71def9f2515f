#include "engine/edge_validation.hpp"

#include <nlohmann/json.hpp>

#include "engine/names.hpp"
#include "engine/sqlite_db.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;

/// The SQLSTATE the SQL front-end answers with (check_violation) and the
/// unit separator sql::split_error reads it by.
constexpr std::string_view sqlstate_prefix = "23514\x1f";

constexpr const char* trigger_message =
  "edge attribute missing or invalid: an edge document needs _from and "
  "_to, each a document handle \"collection/key\"";

/// SQL that is true when json path `path` of NEW.doc is a document handle
/// by the rules of valid_collection_name and valid_key (ASCII only, so
/// length() counts bytes): text, one '/', a name of 1-64 characters of
/// [A-Za-z0-9_-] not starting with '-', a key of 1-254 characters of
/// [A-Za-z0-9_-:.@()+,=;$!*'%].
std::string handle_ok_sql(const std::string& path) {
  auto h = "json_extract(NEW.doc, '" + path + "')";
  auto slash = "instr(" + h + ", '/')";
  auto coll = "substr(" + h + ", 1, " + slash + " - 1)";
  auto key = "substr(" + h + ", " + slash + " + 1)";
  return "(typeof(" + h + ") = 'text' AND " + slash + " > 1 AND length(" +
         coll + ") <= 64 AND " + coll + " NOT GLOB '-*' AND " + coll +
         " NOT GLOB '*[^A-Za-z0-9_-]*' AND length(" + key +
         ") BETWEEN 1 AND 254 AND " + key +
         " NOT GLOB '*[^A-Za-z0-9_:.@()+,=;$!*''%-]*')";
}

std::string edge_trigger_sql(const char* name, const char* event) {
  return std::string("CREATE TRIGGER IF NOT EXISTS ") + name + " BEFORE " +
         event +
         " ON documents WHEN NEW.collection IN (SELECT name FROM "
         "collection_types WHERE type = 'edge') AND NOT (" +
         handle_ok_sql("$._from") + " AND " + handle_ok_sql("$._to") +
         ") BEGIN SELECT RAISE(ABORT, '" + std::string(sqlstate_prefix) +
         trigger_message + "'); END;";
}

} // namespace

const char* to_string(collection_type t) {
  return t == collection_type::edge ? "edge" : "document";
}

bool parse_collection_type(const json& v, collection_type& out) {
  if (v.is_string()) {
    auto& s = v.get_ref<const std::string&>();
    if (s == "document" || s == "edge") {
      out = s == "edge" ? collection_type::edge : collection_type::document;
      return true;
    }
    return false;
  }
  if (v.is_number_integer()) {
    auto n = v.get<int64_t>();
    if (n == 2 || n == 3) {
      out = n == 3 ? collection_type::edge : collection_type::document;
      return true;
    }
  }
  return false;
}

std::string handle_problem(std::string_view handle) {
  auto slash = handle.find('/');
  if (slash == std::string_view::npos)
    return "not a document handle \"collection/key\" (no '/')";
  if (!valid_collection_name(handle.substr(0, slash)))
    return "invalid collection name in the handle";
  if (!valid_key(handle.substr(slash + 1)))
    return "invalid document key in the handle";
  return {};
}

std::string edge_document_problem(const json& doc) {
  std::string head(edge_error_text);
  if (!doc.is_object())
    return head + ": an edge must be an object";
  for (auto name : {"_from", "_to"}) {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null())
      return head + ": " + name + " is missing";
    if (!it->is_string())
      return head + ": " + name + " must be a string";
    if (auto p = handle_problem(it->get_ref<const std::string&>()); !p.empty())
      return head + ": " + name + " is " + p;
  }
  return {};
}

void install_edge_schema(sqlite_db& db) {
  db.exec(R"sql(
    CREATE TABLE IF NOT EXISTS collection_types(
      name TEXT PRIMARY KEY,
      type TEXT NOT NULL CHECK(type IN ('edge'))) WITHOUT ROWID;
    -- a dropped collection (REST, SQL DROP TABLE, any path) takes its type
    CREATE TRIGGER IF NOT EXISTS collections_forget_type AFTER DELETE ON
      collections BEGIN
      DELETE FROM collection_types WHERE name = OLD.name; END;
  )sql");
  db.exec(edge_trigger_sql("documents_edge_insert", "INSERT").c_str());
  db.exec(edge_trigger_sql("documents_edge_update", "UPDATE OF doc").c_str());
}

void set_collection_type(sqlite_db& db, const std::string& name,
                         collection_type t) {
  if (t == collection_type::document) {
    db.prepare("DELETE FROM collection_types WHERE name = ?1")
      .bind(1, name)
      .run();
    return;
  }
  db.prepare("INSERT OR REPLACE INTO collection_types(name, type) "
             "VALUES(?1, 'edge')")
    .bind(1, name)
    .run();
}

std::string edge_refusal(std::string_view m) {
  // sqlite_db puts what failed before SQLite's message
  auto marker = std::string(sqlstate_prefix) + std::string(edge_error_text);
  auto at = m.find(marker);
  if (at == std::string_view::npos)
    return {};
  return std::string(m.substr(at + sqlstate_prefix.size()));
}

} // namespace themis::engine
