/// themis_explain(sql): PostgreSQL's EXPLAIN of a query (issue 32: a query
/// using themis_vector_search / themis_fulltext names the index it reads).
/// The translator (translate_vector.cpp) passes the query's SQLite text;
/// this table-valued function prepares `EXPLAIN QUERY PLAN <sql>` on the
/// same connection (nothing runs) and yields one line per plan node,
/// indented by depth as PostgreSQL's text format is. A search function's
/// scan reads `SCAN v VIRTUAL TABLE INDEX 0:vector index <name> on …`
/// (its plan text comes from sql_vector_vtab.cpp's xBestIndex).

#include <sqlite3.h>

#include <map>
#include <new>
#include <string>
#include <vector>

namespace themis::sql {

namespace {

struct explain_cursor {
  sqlite3_vtab_cursor base{};
  std::vector<std::string> lines;
  size_t pos = 0;
};

struct explain_vtab {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

int vt_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
               char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(detail, sql HIDDEN)");
  if (rc != SQLITE_OK)
    return rc;
  auto* vt = new (std::nothrow) explain_vtab();
  if (!vt)
    return SQLITE_NOMEM;
  vt->db = db;
  *out = &vt->base;
  return SQLITE_OK;
}

int vt_disconnect(sqlite3_vtab* vt) {
  delete reinterpret_cast<explain_vtab*>(vt);
  return SQLITE_OK;
}

int vt_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  for (int i = 0; i < info->nConstraint; ++i) {
    auto& c = info->aConstraint[i];
    if (c.iColumn == 1 && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      if (!c.usable)
        return SQLITE_CONSTRAINT;
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 1;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) explain_cursor();
  if (!c)
    return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int vt_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<explain_cursor*>(cur);
  return SQLITE_OK;
}

int vt_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc,
              sqlite3_value** argv) {
  auto* c = reinterpret_cast<explain_cursor*>(cur);
  auto* vt = reinterpret_cast<explain_vtab*>(cur->pVtab);
  c->lines.clear();
  c->pos = 0;
  if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
    return SQLITE_OK;
  std::string sql = "EXPLAIN QUERY PLAN ";
  sql += reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(vt->db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("XX000\x1f"
                                          "EXPLAIN: %s",
                                          sqlite3_errmsg(vt->db));
    sqlite3_finalize(s);
    return SQLITE_ERROR;
  }
  std::map<int, int> depth; // plan node id → depth
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int id = sqlite3_column_int(s, 0), parent = sqlite3_column_int(s, 1);
    int d = parent == 0 || !depth.count(parent) ? 0 : depth[parent] + 1;
    depth[id] = d;
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    std::string line =
      d == 0 ? "" : std::string(static_cast<size_t>(d) * 4 - 2, ' ') + "->  ";
    c->lines.push_back(line + (p ? p : ""));
    if (c->lines.size() > 10000)
      break; // a plan is never this long; bounded anyway
  }
  sqlite3_finalize(s);
  return SQLITE_OK;
}

int vt_next(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<explain_cursor*>(cur)->pos;
  return SQLITE_OK;
}

int vt_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<explain_cursor*>(cur);
  return c->pos >= c->lines.size();
}

int vt_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<explain_cursor*>(cur);
  if (col != 0) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  auto& l = c->lines[c->pos];
  sqlite3_result_text(ctx, l.data(), static_cast<int>(l.size()),
                      SQLITE_TRANSIENT);
  return SQLITE_OK;
}

int vt_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out =
    static_cast<sqlite3_int64>(reinterpret_cast<explain_cursor*>(cur)->pos + 1);
  return SQLITE_OK;
}

} // namespace

void register_explain_module(sqlite3* db) {
  static const sqlite3_module module = [] {
    sqlite3_module m{};
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
  }();
  sqlite3_create_module_v2(db, "themis_explain", &module, nullptr, nullptr);
}

} // namespace themis::sql
