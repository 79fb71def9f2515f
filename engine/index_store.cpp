#include "engine/index_store.hpp"

#include <sqlite3.h>

#include "engine/index_background.hpp"
#include "engine/raw_stmt.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;

using stmt = raw_stmt;

op_result outcome(op_status st, std::string message, std::string key = {}) {
  op_result r;
  r.status = st;
  r.message = std::move(message);
  r.key = std::move(key);
  return r;
}

std::string exec(sqlite3* db, const std::string& sql) {
  return exec_sql(db, sql);
}

std::string quoted_ident(const std::string& s) {
  return quote_sql_ident(s);
}

} // namespace

void ensure_planner_stats(sqlite3* db) {
  // ANALYZE of the schema table alone: creates sqlite_stat1 without
  // scanning any collection, and reloads the statistics afterwards
  exec(db, "ANALYZE sqlite_schema");
  if (stmt(db, "SELECT 1 FROM sqlite_stat1 WHERE tbl = 'documents' AND "
               "idx = 'sqlite_autoindex_documents_1'")
        .row())
    return;
  exec(db, "INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES('documents', "
           "'sqlite_autoindex_documents_1', '1000000 100000 1')");
  exec(db, "ANALYZE sqlite_schema");
}

namespace {

op_result create(sqlite3* db, const write_op& op) {
  doc_index_def d;
  auto body = json::parse(op.doc, nullptr, false);
  if (auto e = parse_doc_index(body, d); !e.empty())
    return outcome(op_status::invalid, e);
  d.collection = op.collection;
  if (!stmt(db, "SELECT 1 FROM collections WHERE name = ?1")
         .text(1, d.collection)
         .row())
    return outcome(op_status::collection_not_found,
                   "collection not found: " + d.collection);
  auto existing = load_doc_indexes(db, d.collection);
  for (auto& x : existing) {
    if (x.name == d.name && !same_index(x, d))
      return outcome(op_status::conflict,
                     "an index named '" + d.name + "' exists", d.name);
    if (same_index(x, d)) { // ArangoDB: the existing one, not newly created
      op_result r;
      r.key = x.name;
      r.doc = doc_index_json(x).dump();
      return r;
    }
  }
  if (existing.size() >= max_collection_indexes)
    return outcome(op_status::conflict,
                   "this collection has " +
                     std::to_string(max_collection_indexes) +
                     " persistent/ttl indexes, the limit");
  if (d.background) {
    if (auto e = start_background_build(db, d); !e.empty())
      return outcome(op_status::internal, "index build failed: " + e, d.name);
  } else if (auto e = exec(db, doc_index_create_sql(d)); !e.empty()) {
    if (e.find("UNIQUE constraint failed") != std::string::npos)
      return outcome(op_status::conflict,
                     "unique constraint violated: documents of the "
                     "collection share a value of the index's fields",
                     d.name);
    return outcome(op_status::internal, "index build failed: " + e, d.name);
  }
  ensure_planner_stats(db);
  auto def = doc_index_json(d).dump();
  stmt ins(db, "INSERT INTO collection_indexes(collection, name, def) "
               "VALUES(?1, ?2, ?3)");
  if (ins.text(1, d.collection).text(2, d.name).text(3, def).run() !=
      SQLITE_DONE)
    throw std::runtime_error(std::string("saving the index definition: ") +
                             sqlite3_errmsg(db));
  op_result r;
  r.status = op_status::created;
  r.key = d.name;
  r.doc = def;
  if (d.background)
    r.rev = "building"; // the definition's state (index_background.hpp)
  return r;
}

op_result drop(sqlite3* db, const write_op& op) {
  if (!stmt(db, "SELECT 1 FROM collection_indexes WHERE collection = ?1 AND "
                "name = ?2")
         .text(1, op.collection)
         .text(2, op.key)
         .row())
    return outcome(op_status::not_found, "no index named '" + op.key + "'",
                   op.key);
  if (auto e =
        exec(db, "DROP INDEX IF EXISTS " +
                   quoted_ident(doc_index_sqlite_name(op.collection, op.key)));
      !e.empty())
    throw std::runtime_error("dropping the index: " + e);
  drop_background_index(db, op.collection, op.key);
  stmt(db, "DELETE FROM collection_indexes WHERE collection = ?1 AND name = ?2")
    .text(1, op.collection)
    .text(2, op.key)
    .run();
  op_result r;
  r.key = op.key;
  return r;
}

} // namespace

op_result apply_index_op(sqlite3* db, const write_op& op) {
  return op.kind == op_kind::create_index ? create(db, op) : drop(db, op);
}

void drop_doc_indexes(sqlite3* db, const std::string& collection) {
  for (auto& d : load_doc_indexes(db, collection))
    if (auto e =
          exec(db, "DROP INDEX IF EXISTS " +
                     quoted_ident(doc_index_sqlite_name(collection, d.name)));
        !e.empty())
      throw std::runtime_error("dropping index " + d.name + ": " + e);
    else
      drop_background_index(db, collection, d.name);
  stmt(db, "DELETE FROM collection_indexes WHERE collection = ?1")
    .text(1, collection)
    .run();
}

std::vector<doc_index_def> load_doc_indexes(sqlite3* db,
                                            const std::string& collection) {
  std::vector<doc_index_def> out;
  stmt s(db, "SELECT def FROM collection_indexes WHERE collection = ?1 "
             "ORDER BY name");
  s.text(1, collection);
  while (s.row()) {
    doc_index_def d;
    d.collection = collection;
    if (doc_index_from_json(json::parse(s.col(0), nullptr, false), d))
      out.push_back(std::move(d));
  }
  load_build_states(db, out);
  return out;
}

std::vector<doc_index_def> load_ttl_indexes(sqlite3* db) {
  std::vector<doc_index_def> out;
  stmt s(db, "SELECT collection, def FROM collection_indexes WHERE "
             "json_extract(def, '$.type') = 'ttl' ORDER BY collection, name");
  while (s.row()) {
    doc_index_def d;
    d.collection = s.col(0);
    if (doc_index_from_json(json::parse(s.col(1), nullptr, false), d))
      out.push_back(std::move(d));
  }
  return out;
}

std::string unique_refusal(std::string_view m) {
  constexpr std::string_view marker =
    "UNIQUE constraint failed: index 'docidx:";
  auto at = m.find(marker);
  if (at == std::string_view::npos) {
    auto side = side_unique_index(m); // a background index's side table
    return side.empty() ? side
                        : "unique constraint violated: index '" + side + "'";
  }
  auto rest = m.substr(at + marker.size());
  auto end = rest.find('\'');
  auto full = rest.substr(0, end); // "<collection>:<name>"
  auto colon = full.rfind(':');
  auto name = colon == std::string_view::npos ? full : full.substr(colon + 1);
  return "unique constraint violated: index '" + std::string(name) + "'";
}

std::vector<std::pair<std::string, std::string>>
expired_keys(sqlite3* db, const doc_index_def& d, double now_s, size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  // the sparse TTL index's expression, so the range is an index scan
  auto x = field_sql(d.fields.at(0));
  auto sql =
    "SELECT key, rev FROM documents WHERE collection = ?1 AND "
    "likelihood(" +
    x + " <= ?2, 0.001) AND " + x + " IS NOT NULL AND json_type(doc,'" +
    field_json_path(d.fields.at(0)) + "') IN ('integer','real') LIMIT ?3";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    return out;
  sqlite3_bind_text(s, 1, d.collection.data(),
                    static_cast<int>(d.collection.size()), SQLITE_TRANSIENT);
  sqlite3_bind_double(s, 2, now_s - d.expire_after);
  sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(limit));
  auto col = [&](int i) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return std::string(p ? p : "");
  };
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(col(0), col(1));
  sqlite3_finalize(s);
  return out;
}

} // namespace themis::engine
