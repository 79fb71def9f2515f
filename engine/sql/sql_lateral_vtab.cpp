#include "engine/sql/sql_lateral_vtab.hpp"

#include <sqlite3.h>

#include <new>
#include <string>

namespace themis::sql {

namespace {

struct lateral_vtab {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

/// One scan of the virtual table: the statement is prepared once and
/// reset for every outer row (xFilter), as SQLite reuses the cursor.
struct lateral_cursor {
  sqlite3_vtab_cursor base{};
  sqlite3_stmt* stmt = nullptr;
  std::string sql;
  bool eof = true;
  sqlite3_int64 row = 0;
};

std::string schema() {
  std::string s = "CREATE TABLE x(";
  for (int i = 0; i < lateral_max_columns; ++i)
    s += "c" + std::to_string(i) + ", ";
  s += "sql HIDDEN";
  for (int i = 1; i <= lateral_max_arguments; ++i)
    s += ", a" + std::to_string(i) + " HIDDEN";
  return s + ")";
}

int vt_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
               char**) {
  static const std::string decl = schema();
  int rc = sqlite3_declare_vtab(db, decl.c_str());
  if (rc != SQLITE_OK)
    return rc;
  auto* vt = new (std::nothrow) lateral_vtab();
  if (!vt)
    return SQLITE_NOMEM;
  vt->db = db;
  *out = &vt->base;
  return SQLITE_OK;
}

int vt_disconnect(sqlite3_vtab* vt) {
  delete reinterpret_cast<lateral_vtab*>(vt);
  return SQLITE_OK;
}

/// The statement text and every argument given must be bound (equality
/// constraints on the hidden columns) before a scan: an argument naming a
/// later FROM item makes this plan unusable, so SQLite orders the outer
/// items first.
int vt_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  constexpr int first = lateral_max_columns; // the `sql` column
  int slot[lateral_max_arguments + 1];
  for (auto& s : slot)
    s = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    auto& c = info->aConstraint[i];
    int k = c.iColumn - first;
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ || k < 0 ||
        k > lateral_max_arguments)
      continue;
    if (!c.usable)
      return SQLITE_CONSTRAINT;
    slot[k] = i;
  }
  if (slot[0] < 0)
    return SQLITE_CONSTRAINT;
  int n = 0;
  for (int k = 0; k <= lateral_max_arguments && slot[k] >= 0; ++k) {
    info->aConstraintUsage[slot[k]].argvIndex = ++n;
    info->aConstraintUsage[slot[k]].omit = 1;
  }
  info->estimatedCost = 100;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) lateral_cursor();
  if (!c)
    return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int vt_close(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<lateral_cursor*>(cur);
  sqlite3_finalize(c->stmt);
  delete c;
  return SQLITE_OK;
}

/// Reports the inner statement's error as the outer one's (its message
/// keeps the SQLSTATE prefix the functions put there).
int fail(sqlite3_vtab_cursor* cur, int rc) {
  auto* vt = reinterpret_cast<lateral_vtab*>(cur->pVtab);
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = sqlite3_mprintf("%s", sqlite3_errmsg(vt->db));
  return rc == SQLITE_INTERRUPT ? rc : SQLITE_ERROR;
}

int step(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<lateral_cursor*>(cur);
  int rc = sqlite3_step(c->stmt);
  if (rc == SQLITE_ROW) {
    c->eof = false;
    ++c->row;
    return SQLITE_OK;
  }
  c->eof = true;
  if (rc == SQLITE_DONE)
    return SQLITE_OK;
  return fail(cur, rc);
}

int vt_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc,
              sqlite3_value** argv) {
  auto* c = reinterpret_cast<lateral_cursor*>(cur);
  auto* vt = reinterpret_cast<lateral_vtab*>(cur->pVtab);
  c->eof = true;
  c->row = 0;
  if (argc < 1 || sqlite3_value_type(argv[0]) != SQLITE_TEXT)
    return SQLITE_ERROR;
  std::string sql(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])),
                  static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  if (c->stmt && sql == c->sql) {
    sqlite3_reset(c->stmt);
    sqlite3_clear_bindings(c->stmt);
  } else {
    sqlite3_finalize(c->stmt);
    c->stmt = nullptr;
    c->sql = std::move(sql);
    int rc = sqlite3_prepare_v3(vt->db, c->sql.c_str(),
                                static_cast<int>(c->sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &c->stmt, nullptr);
    if (rc != SQLITE_OK || !c->stmt) {
      sqlite3_finalize(c->stmt);
      c->stmt = nullptr;
      c->sql.clear();
      return fail(cur, rc == SQLITE_OK ? SQLITE_ERROR : rc);
    }
    if (!sqlite3_stmt_readonly(c->stmt)) { // only the translator's SELECTs
      sqlite3_finalize(c->stmt);
      c->stmt = nullptr;
      c->sql.clear();
      sqlite3_free(cur->pVtab->zErrMsg);
      cur->pVtab->zErrMsg =
        sqlite3_mprintf("0A000\x1fthemis_lateral runs queries only");
      return SQLITE_ERROR;
    }
  }
  int params = sqlite3_bind_parameter_count(c->stmt);
  for (int i = 1; i < argc && i <= params; ++i)
    sqlite3_bind_value(c->stmt, i, argv[i]);
  return step(cur);
}

int vt_next(sqlite3_vtab_cursor* cur) {
  return step(cur);
}

int vt_eof(sqlite3_vtab_cursor* cur) {
  return reinterpret_cast<lateral_cursor*>(cur)->eof;
}

int vt_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<lateral_cursor*>(cur);
  if (c->eof || !c->stmt || col < 0 || col >= sqlite3_column_count(c->stmt)) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  sqlite3_result_value(ctx, sqlite3_column_value(c->stmt, col));
  return SQLITE_OK;
}

int vt_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = reinterpret_cast<lateral_cursor*>(cur)->row;
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m{};
  m.xCreate = nullptr; // eponymous only: no CREATE VIRTUAL TABLE
  m.xConnect = vt_connect;
  m.xBestIndex = vt_best_index;
  m.xDisconnect = vt_disconnect;
  m.xDestroy = vt_disconnect;
  m.xOpen = vt_open;
  m.xClose = vt_close;
  m.xFilter = vt_filter;
  m.xNext = vt_next;
  m.xEof = vt_eof;
  m.xColumn = vt_column;
  m.xRowid = vt_rowid;
  return m;
}

} // namespace

void register_lateral_module(sqlite3* db) {
  static const sqlite3_module module = make_module();
  sqlite3_create_module_v2(db, "themis_lateral", &module, nullptr, nullptr);
}

} // namespace themis::sql
