#include "engine/index_background.hpp"

#include <stdexcept>

#include "engine/raw_stmt.hpp"

namespace themis::engine {

namespace {

/// `json_extract(<row>.doc,'$.a')` for a trigger's NEW/OLD row or "" (the
/// table's own doc column).
std::string extract(const std::string& field, const std::string& row) {
  return "json_extract(" + (row.empty() ? "" : row + ".") + "doc,'" +
         field_json_path(field) + "')";
}

/// The value columns "v0, v1, …".
std::string value_columns(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += (i ? ", v" : "v") + std::to_string(i);
  return out;
}

/// The fields' expressions over `row` ("NEW", "" for documents itself).
std::string value_exprs(const doc_index_def& d, const std::string& row) {
  std::string out;
  for (auto& f : d.fields)
    out += (out.empty() ? "" : ", ") + extract(f, row);
  return out;
}

/// " AND x IS NOT NULL …" for a sparse index, "" otherwise.
std::string sparse_filter(const doc_index_def& d, const std::string& row) {
  std::string out;
  if (d.sparse)
    for (auto& f : d.fields)
      out += " AND " + extract(f, row) + " IS NOT NULL";
  return out;
}

std::string trigger_name(const std::string& side, const char* what) {
  return quote_sql_ident(side + ":" + what);
}

/// CREATE TABLE, its index and the three triggers.
std::string side_sql(const doc_index_def& d) {
  auto side = doc_index_side_name(d.collection, d.name);
  auto t = quote_sql_ident(side);
  auto coll = quote_sql_literal(d.collection);
  auto cols = value_columns(d.fields.size());
  std::string sql =
    "CREATE TABLE " + t + "(key TEXT PRIMARY KEY, " + cols + ") WITHOUT ROWID;";
  // unique: the values alone (NULLs distinct, as in an expression index);
  // otherwise the key too, so a lookup is covered by the index
  sql += std::string("CREATE ") + (d.unique ? "UNIQUE " : "") + "INDEX " +
         quote_sql_ident(side + ":v") + " ON " + t + "(" + cols +
         (d.unique ? "" : ", key") + ");";
  sql += "CREATE TRIGGER " + trigger_name(side, "i") +
         " AFTER INSERT ON documents WHEN NEW.collection = " + coll +
         sparse_filter(d, "NEW") + " BEGIN INSERT INTO " + t + "(key, " + cols +
         ") VALUES(NEW.key, " + value_exprs(d, "NEW") + "); END;";
  sql += "CREATE TRIGGER " + trigger_name(side, "u") +
         " AFTER UPDATE OF collection, key, doc ON documents WHEN "
         "OLD.collection = " +
         coll + " OR NEW.collection = " + coll + " BEGIN DELETE FROM " + t +
         " WHERE OLD.collection = " + coll +
         " AND key = OLD.key; INSERT INTO " + t + "(key, " + cols +
         ") SELECT NEW.key, " + value_exprs(d, "NEW") +
         " WHERE NEW.collection = " + coll + sparse_filter(d, "NEW") + "; END;";
  sql += "CREATE TRIGGER " + trigger_name(side, "d") +
         " AFTER DELETE ON documents WHEN OLD.collection = " + coll +
         " BEGIN DELETE FROM " + t + " WHERE key = OLD.key; END;";
  return sql;
}

void drop_side(sqlite3* db, const std::string& collection,
               const std::string& name) {
  auto side = doc_index_side_name(collection, name);
  std::string sql;
  for (auto* w : {"i", "u", "d"})
    sql += "DROP TRIGGER IF EXISTS " + trigger_name(side, w) + ";";
  sql += "DROP TABLE IF EXISTS " + quote_sql_ident(side) + ";";
  if (auto e = exec_sql(db, sql); !e.empty())
    throw std::runtime_error("dropping index side table: " + e);
}

op_result step_result(op_status st, std::string state, std::string message) {
  op_result r;
  r.status = st;
  r.doc = std::move(state);
  r.message = std::move(message);
  return r;
}

} // namespace

std::string start_background_build(sqlite3* db, const doc_index_def& d) {
  if (auto e = exec_sql(db, side_sql(d)); !e.empty())
    return e;
  raw_stmt count(db, "SELECT count(*) FROM documents WHERE collection = ?1");
  count.text(1, d.collection);
  int64_t total = count.row() ? count.col_int(0) : 0;
  raw_stmt ins(db, "INSERT OR REPLACE INTO index_builds(collection, name, "
                   "state, watermark, built, total, error) "
                   "VALUES(?1, ?2, 'building', '', 0, ?3, '')");
  if (ins.text(1, d.collection).text(2, d.name).int64(3, total).run() !=
      SQLITE_DONE)
    return sqlite3_errmsg(db);
  return {};
}

op_result apply_index_build_step(sqlite3* db, const write_op& op) {
  raw_stmt b(db, "SELECT b.watermark, b.built, i.def FROM index_builds b "
                 "JOIN collection_indexes i USING(collection, name) WHERE "
                 "b.collection = ?1 AND b.name = ?2 AND b.state = 'building'");
  if (!b.text(1, op.collection).text(2, op.key).row())
    return step_result(op_status::not_found, "", "no build running");
  auto watermark = b.col(0);
  auto built = b.col_int(1);
  auto def = b.col(2);
  sqlite3_reset(b.s); // no statement may stay active across a DROP TABLE
  doc_index_def d;
  d.collection = op.collection;
  if (!doc_index_from_json(nlohmann::json::parse(def, nullptr, false), d))
    return step_result(op_status::invalid, "", "malformed index definition");
  int64_t chunk = 10000;
  try {
    chunk = std::max<int64_t>(1, std::stoll(op.doc));
  } catch (...) {
  }
  // the chunk's last key; none: the rest of the collection is the chunk
  raw_stmt hi(db, "SELECT key FROM documents WHERE collection = ?1 AND key > "
                  "?2 ORDER BY key LIMIT 1 OFFSET ?3");
  hi.text(1, op.collection).text(2, watermark).int64(3, chunk - 1);
  bool last = !hi.row();
  auto upto = last ? std::string() : hi.col(0);
  sqlite3_reset(hi.s);
  auto side = quote_sql_ident(doc_index_side_name(d.collection, d.name));
  // rows the triggers already put there (written since the build began)
  // are current: only keys not yet in the side table are copied
  auto sql = "INSERT INTO " + side + "(key, " + value_columns(d.fields.size()) +
             ") SELECT key, " + value_exprs(d, "") +
             " FROM documents d WHERE collection = ?1 AND key > ?2" +
             (last ? "" : " AND key <= ?3") + sparse_filter(d, "") +
             " AND NOT EXISTS (SELECT 1 FROM " + side +
             " s WHERE s.key = d.key)";
  raw_stmt copy(db, sql);
  copy.text(1, op.collection).text(2, watermark);
  if (!last)
    copy.text(3, upto);
  int rc = copy.run();
  if (rc != SQLITE_DONE) {
    std::string why = sqlite3_errmsg(db);
    sqlite3_reset(copy.s);
    bool unique = why.find("UNIQUE constraint failed") != std::string::npos;
    if (!unique && rc != SQLITE_CONSTRAINT)
      throw std::runtime_error("index build step: " + why);
    drop_side(db, d.collection, d.name);
    raw_stmt(db, "UPDATE index_builds SET state = 'failed', error = ?3 WHERE "
                 "collection = ?1 AND name = ?2")
      .text(1, d.collection)
      .text(2, d.name)
      .text(3, "unique constraint violated: documents of the collection "
               "share a value of the index's fields")
      .run();
    return step_result(op_status::ok, "failed", "unique constraint violated");
  }
  // progress: a full chunk passed `chunk` documents; the last one what
  // it copied (an estimate: keys the triggers added are not counted)
  built += last ? sqlite3_changes(db) : chunk;
  raw_stmt up(db, "UPDATE index_builds SET watermark = ?3, built = ?4, "
                  "state = ?5, total = CASE WHEN ?5 = 'ready' THEN ?4 ELSE "
                  "max(total, ?4) END WHERE collection = ?1 AND name = ?2");
  std::string state = last ? "ready" : "building";
  up.text(1, d.collection)
    .text(2, d.name)
    .text(3, upto)
    .int64(4, built)
    .text(5, state)
    .run();
  return step_result(op_status::ok, state, {});
}

void drop_background_index(sqlite3* db, const std::string& collection,
                           const std::string& name) {
  drop_side(db, collection, name);
  raw_stmt(db, "DELETE FROM index_builds WHERE collection = ?1 AND name = ?2")
    .text(1, collection)
    .text(2, name)
    .run();
}

std::vector<std::pair<std::string, std::string>>
running_index_builds(sqlite3* db) {
  std::vector<std::pair<std::string, std::string>> out;
  raw_stmt s(db, "SELECT collection, name FROM index_builds WHERE state = "
                 "'building' ORDER BY rowid");
  while (s.row())
    out.emplace_back(s.col(0), s.col(1));
  return out;
}

void load_build_states(sqlite3* db, std::vector<doc_index_def>& defs) {
  for (auto& d : defs) {
    if (!d.background)
      continue;
    raw_stmt s(db, "SELECT state, built, total, error FROM index_builds "
                   "WHERE collection = ?1 AND name = ?2");
    if (!s.text(1, d.collection).text(2, d.name).row())
      continue;
    d.state = s.col(0);
    d.built = s.col_int(1);
    d.total = s.col_int(2);
    d.error = s.col(3);
  }
}

std::vector<side_index> ready_side_indexes(sqlite3* db,
                                           const std::string& collection) {
  std::vector<side_index> out;
  raw_stmt s(db, "SELECT i.def FROM collection_indexes i JOIN index_builds b "
                 "USING(collection, name) WHERE i.collection = ?1 AND "
                 "b.state = 'ready' ORDER BY i.name");
  s.text(1, collection);
  while (s.row()) {
    doc_index_def d;
    d.collection = collection;
    if (!doc_index_from_json(nlohmann::json::parse(s.col(0), nullptr, false),
                             d) ||
        !d.background)
      continue;
    side_index x;
    x.json_path = field_json_path(d.fields.front());
    for (auto& f : d.fields)
      x.json_paths.push_back(field_json_path(f));
    x.table = doc_index_side_name(collection, d.name);
    x.name = d.name;
    x.sparse = d.sparse;
    x.fields = d.fields.size();
    out.push_back(std::move(x));
  }
  return out;
}

std::string side_unique_index(std::string_view m) {
  constexpr std::string_view marker = "UNIQUE constraint failed: docbg:";
  auto at = m.find(marker);
  if (at == std::string_view::npos)
    return {};
  auto rest = m.substr(at + marker.size()); // "<collection>:<name>.v0, …"
  rest = rest.substr(0, rest.find(','));
  auto dot = rest.rfind('.');
  if (dot == std::string_view::npos)
    return {};
  rest = rest.substr(0, dot);
  auto colon = rest.rfind(':');
  return std::string(colon == std::string_view::npos ? rest
                                                     : rest.substr(colon + 1));
}

} // namespace themis::engine
