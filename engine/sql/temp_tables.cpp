#include "engine/sql/temp_tables.hpp"

#include <sqlite3.h>
#include <vector>

#include "engine/sql/sql_catalog.hpp"

namespace themis::sql {

std::string temp_schema_name(int32_t pid) {
  return "pg_temp_" + std::to_string(pid);
}

std::string temp_table_prefix(const std::string& ns, int32_t pid) {
  return ns + temp_schema_name(pid) + temp_marker;
}

std::string temp_local_name(std::string_view stored) {
  auto at = stored.find(temp_marker);
  return std::string(at == std::string_view::npos ? stored
                                                  : stored.substr(at + 1));
}

std::string temp_schema_of(std::string_view stored) {
  auto at = stored.find(temp_marker);
  if (at == std::string_view::npos)
    return "public";
  auto head = stored.substr(0, at);
  auto dot = head.rfind('.');
  return std::string(dot == std::string_view::npos ? head
                                                   : head.substr(dot + 1));
}

uint32_t temp_namespace_oid(const std::string& schema) {
  return table_oid("pg_namespace:" + schema);
}

bool is_own_temp_schema(const std::string& schema, const std::string& prefix) {
  if (schema == "pg_temp")
    return true;
  return !prefix.empty() && schema == temp_schema_of(prefix + "x");
}

std::string temp_on_commit(const std::string& oncommit, bool temp,
                           const std::string& schema, bool allowed) {
  bool action = !oncommit.empty() && oncommit != "ONCOMMIT_NOOP";
  if (!temp) {
    if (action)
      throw sql_error("42P16",
                      "ON COMMIT can only be used on temporary tables");
    return {};
  }
  if (schema == "public")
    throw sql_error("42P16", "cannot create temporary relation in "
                             "non-temporary schema");
  if (!allowed)
    throw sql_error("0A000", "temporary tables are not supported here");
  if (oncommit == "ONCOMMIT_DROP")
    return "drop";
  if (oncommit == "ONCOMMIT_DELETE_ROWS")
    return "delete";
  return {};
}

namespace {

void run(sqlite3* db, const char* sql, const std::string& arg) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    return;
  sqlite3_bind_text(s, 1, arg.data(), static_cast<int>(arg.size()),
                    SQLITE_STATIC);
  sqlite3_step(s);
  sqlite3_finalize(s);
}

std::vector<std::string> column0(sqlite3* db, const char* sql) {
  std::vector<std::string> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    return out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  return out;
}

} // namespace

int purge_temp_tables(sqlite3* db) {
  // definitions first: the documents go by the primary key's prefix
  // (collection, key), so no scan of every document is needed
  auto names =
    column0(db, "SELECT name FROM sql_tables WHERE instr(name, '$') > 0");
  auto indexes = column0(db, "SELECT name FROM sqlite_master WHERE type = "
                             "'index' AND name LIKE 'sqlidx:%' AND "
                             "instr(name, '$') > 0");
  // temp views (issue 36): definitions only
  sqlite3_exec(db, "DELETE FROM sql_views WHERE instr(name, '$') > 0",
               nullptr, nullptr, nullptr);
  // temp sequences (issue 36): definitions and state
  sqlite3_exec(db,
               "DELETE FROM sql_sequences WHERE name IN (SELECT key FROM "
               "sql_seqdefs WHERE instr(name, '$') > 0); DELETE FROM "
               "sql_seqdefs WHERE instr(name, '$') > 0",
               nullptr, nullptr, nullptr);
  if (names.empty() && indexes.empty())
    return 0;
  sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  for (auto& i : indexes)
    sqlite3_exec(db, ("DROP INDEX IF EXISTS " + quote_ident(i)).c_str(),
                 nullptr, nullptr, nullptr);
  for (auto& n : names) {
    run(db, "DELETE FROM documents WHERE collection = ?1", n);
    run(db, "DELETE FROM sql_tables WHERE name = ?1", n);
  }
  sqlite3_exec(db, "DELETE FROM sql_sequences WHERE instr(name, '$') > 0",
               nullptr, nullptr, nullptr);
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return static_cast<int>(names.size());
}

} // namespace themis::sql
