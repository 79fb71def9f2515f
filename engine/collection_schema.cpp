#include "engine/collection_schema.hpp"

#include <mutex>
#include <unordered_map>

#include <sqlite3.h>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;

/// The SQLSTATE the SQL front-end answers with (check_violation) and the
/// unit separator sql::split_error reads it by.
constexpr std::string_view sqlstate_prefix = "23514\x1f";

bool known_level(const std::string& l) {
  return l == "strict" || l == "moderate" || l == "new" || l == "off";
}

/// Compiled rules by their text: the writer checks many documents against
/// few rules. Bounded: cleared when full (rules change rarely).
class rule_cache {
public:
  std::shared_ptr<const json_schema> get(const char* text, std::string& err) {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = map_.find(text);
    if (it != map_.end())
      return it->second;
    auto rule = json::parse(text, nullptr, false);
    auto compiled =
      rule.is_discarded()
        ? nullptr
        : json_schema::compile_untrusted(rule, collection_schema_limits(), err);
    if (!compiled) {
      if (err.empty())
        err = "the stored rule is not JSON";
      return nullptr;
    }
    if (map_.size() >= 256)
      map_.clear();
    map_.emplace(text, compiled);
    return compiled;
  }

private:
  std::mutex mtx_;
  std::unordered_map<std::string, std::shared_ptr<const json_schema>> map_;
};

rule_cache& cache() {
  static rule_cache c;
  return c;
}

/// The document as validated: without the system attributes.
json user_part(const char* text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_object())
    for (auto k : {"_key", "_rev", "_id", "_from", "_to"})
      doc.erase(k);
  return doc;
}

void fail(sqlite3_context* ctx, const std::string& text) {
  auto m = std::string(sqlstate_prefix) + text;
  sqlite3_result_error(ctx, m.c_str(), static_cast<int>(m.size()));
}

/// themis_schema_check(new_doc, old_doc, rule, level, message): NULL, or
/// an error that aborts the statement.
void schema_check(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 5)
    return fail(ctx, "themis_schema_check takes 5 arguments");
  auto level = reinterpret_cast<const char*>(sqlite3_value_text(argv[3]));
  auto rule_text = reinterpret_cast<const char*>(sqlite3_value_text(argv[2]));
  auto new_doc = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  auto old_doc = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  auto message = reinterpret_cast<const char*>(sqlite3_value_text(argv[4]));
  sqlite3_result_null(ctx);
  if (!level || !rule_text || !new_doc)
    return;
  std::string lv = level;
  if (lv == "off" || (lv == "new" && old_doc))
    return;
  std::string err;
  auto rule = cache().get(rule_text, err);
  if (!rule)
    return fail(ctx, std::string(schema_error_text) + ": " + err);
  if (lv == "moderate" && old_doc &&
      !rule->violations(user_part(old_doc), "document", 1).empty())
    return; // invalid already: moderate lets it be updated
  auto v = rule->violations(user_part(new_doc), "document", 3);
  if (v.empty())
    return;
  std::string text(schema_error_text);
  if (message && *message)
    text += std::string(": ") + message;
  for (size_t i = 0; i < v.size(); ++i)
    text += (i ? "; " : ": ") + v[i]["pointer"].get<std::string>() + ": " +
            v[i]["detail"].get<std::string>();
  fail(ctx, text);
}

} // namespace

schema_limits collection_schema_limits() {
  return schema_limits{};
}

std::string parse_collection_schema(const json& body, collection_schema& out) {
  if (!body.is_object())
    return "the body must be an object {\"rule\", \"level\", \"message\"}";
  for (auto& [k, v] : body.items())
    if (k != "rule" && k != "level" && k != "message")
      return "unknown field '" + k + "' (rule, level, message)";
  auto rule = body.find("rule");
  if (rule == body.end())
    return "'rule' (a JSON Schema) is required";
  out.level = "strict";
  if (auto l = body.find("level"); l != body.end()) {
    if (!l->is_string())
      return "'level' must be a string";
    out.level = l->get<std::string>();
    if (out.level == "none")
      out.level = "off";
    if (!known_level(out.level))
      return "'level' must be strict, moderate, new or off";
  }
  if (auto m = body.find("message"); m != body.end()) {
    if (!m->is_string())
      return "'message' must be a string";
    out.message = m->get<std::string>();
    if (out.message.size() > 1024)
      return "'message' is longer than 1024 bytes";
  }
  std::string err;
  if (!json_schema::compile_untrusted(*rule, collection_schema_limits(), err))
    return "invalid rule: " + err;
  out.rule = *rule;
  return {};
}

json to_json(const collection_schema& s) {
  return {{"rule", s.rule}, {"level", s.level}, {"message", s.message}};
}

void install_collection_schemas(sqlite_db& db) {
  db.exec(R"sql(
    CREATE TABLE IF NOT EXISTS collection_schemas(
      name TEXT PRIMARY KEY,
      rule TEXT NOT NULL,
      level TEXT NOT NULL CHECK(level IN ('strict','moderate','new','off')),
      message TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS collections_forget_schema AFTER DELETE ON
      collections BEGIN
      DELETE FROM collection_schemas WHERE name = OLD.name; END;
    CREATE TRIGGER IF NOT EXISTS documents_schema_insert BEFORE INSERT ON
      documents WHEN NEW.collection IN
        (SELECT name FROM collection_schemas WHERE level <> 'off')
      BEGIN SELECT themis_schema_check(NEW.doc,
        (SELECT d.doc FROM documents d WHERE d.collection = NEW.collection
           AND d.key = NEW.key), s.rule, s.level, s.message)
        FROM collection_schemas s WHERE s.name = NEW.collection; END;
    CREATE TRIGGER IF NOT EXISTS documents_schema_update BEFORE UPDATE OF doc
      ON documents WHEN NEW.collection IN
        (SELECT name FROM collection_schemas WHERE level <> 'off')
      BEGIN SELECT themis_schema_check(NEW.doc, OLD.doc, s.rule, s.level,
        s.message) FROM collection_schemas s WHERE s.name = NEW.collection;
      END;
  )sql");
}

void register_schema_function(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_schema_check", 5, SQLITE_UTF8, nullptr,
                             &schema_check, nullptr, nullptr, nullptr);
}

std::string set_collection_schema(sqlite_db& db, const std::string& name,
                                  const std::optional<collection_schema>& s) {
  if (!s) {
    db.prepare("DELETE FROM collection_schemas WHERE name = ?1")
      .bind(1, name)
      .run();
    return {};
  }
  // parse_collection_schema compiled the rule already: not again here
  if (!known_level(s->level))
    return "unknown level " + s->level;
  db.prepare("INSERT OR REPLACE INTO collection_schemas(name, rule, level, "
             "message) VALUES(?1, ?2, ?3, ?4)")
    .bind(1, name)
    .bind(2, s->rule.dump())
    .bind(3, s->level)
    .bind(4, s->message)
    .run();
  return {};
}

std::optional<collection_schema>
load_collection_schema(sqlite_db& db, const std::string& name) {
  auto q = db.prepare(
    "SELECT rule, level, message FROM collection_schemas WHERE name = ?1");
  q.bind(1, name);
  if (!q.step())
    return std::nullopt;
  collection_schema s;
  s.rule = json::parse(q.text(0), nullptr, false);
  s.level = std::string(q.text(1));
  s.message = std::string(q.text(2));
  return s;
}

std::string schema_refusal(std::string_view m) {
  auto marker = std::string(sqlstate_prefix) + std::string(schema_error_text);
  auto at = m.find(marker);
  if (at == std::string_view::npos)
    return {};
  return std::string(m.substr(at + sqlstate_prefix.size()));
}

bool is_schema_refusal(std::string_view message) {
  return message.find(schema_error_text) != std::string_view::npos;
}

} // namespace themis::engine
