#include "engine/sql/sql_rows_vtab.hpp"

#include <sqlite3.h>

#include <new>

namespace themis::sql {

namespace {

struct rows_vtab {
  sqlite3_vtab base{};
  const rows_function* fn = nullptr;
};

struct rows_cursor {
  sqlite3_vtab_cursor base{};
  std::vector<std::vector<value>> rows;
  size_t pos = 0;
};

const rows_function* fn_of(sqlite3_vtab* vt) {
  return reinterpret_cast<rows_vtab*>(vt)->fn;
}

int vt_connect(sqlite3* db, void* aux, int, const char* const*,
               sqlite3_vtab** out, char**) {
  auto* fn = static_cast<const rows_function*>(aux);
  int rc = sqlite3_declare_vtab(db, fn->schema);
  if (rc != SQLITE_OK)
    return rc;
  auto* vt = new (std::nothrow) rows_vtab();
  if (!vt)
    return SQLITE_NOMEM;
  vt->fn = fn;
  *out = &vt->base;
  return SQLITE_OK;
}

int vt_disconnect(sqlite3_vtab* vt) {
  delete reinterpret_cast<rows_vtab*>(vt);
  return SQLITE_OK;
}

/// The required arguments must be bound (equality constraints on their
/// hidden columns); optional ones are passed when given, in order.
int vt_best_index(sqlite3_vtab* vt, sqlite3_index_info* info) {
  auto* fn = fn_of(vt);
  int slot[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int total = fn->required + fn->optional;
  for (int i = 0; i < info->nConstraint; ++i) {
    auto& c = info->aConstraint[i];
    int k = c.iColumn - fn->first_argument;
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ || k < 0 || k >= total || k >= 8)
      continue;
    if (!c.usable)
      return SQLITE_CONSTRAINT;
    slot[k] = i;
  }
  for (int k = 0; k < fn->required; ++k)
    if (slot[k] < 0)
      return SQLITE_CONSTRAINT;
  int n = 0;
  for (int k = 0; k < total && k < 8 && slot[k] >= 0; ++k) {
    info->aConstraintUsage[slot[k]].argvIndex = ++n;
    info->aConstraintUsage[slot[k]].omit = 1;
  }
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) rows_cursor();
  if (!c)
    return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int vt_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<rows_cursor*>(cur);
  return SQLITE_OK;
}

int vt_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc,
              sqlite3_value** argv) {
  auto* c = reinterpret_cast<rows_cursor*>(cur);
  c->rows.clear();
  c->pos = 0;
  try {
    fn_of(cur->pVtab)->fill(argc, argv, c->rows);
  } catch (const sql_error& e) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg =
      sqlite3_mprintf("%s\x1f%s", e.sqlstate().c_str(), e.what());
    return SQLITE_ERROR;
  } catch (const std::exception& e) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("XX000\x1f%s", e.what());
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int vt_next(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<rows_cursor*>(cur)->pos;
  return SQLITE_OK;
}

int vt_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<rows_cursor*>(cur);
  return c->pos >= c->rows.size();
}

int vt_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<rows_cursor*>(cur);
  if (col == fn_of(cur->pVtab)->ordinality_column) {
    sqlite3_result_int64(ctx, static_cast<int64_t>(c->pos + 1));
    return SQLITE_OK;
  }
  auto& row = c->rows[c->pos];
  if (col < 0 || static_cast<size_t>(col) >= row.size()) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  auto& v = row[static_cast<size_t>(col)];
  switch (v.k) {
    case value::kind::null:
      sqlite3_result_null(ctx);
      break;
    case value::kind::integer:
      sqlite3_result_int64(ctx, v.i);
      break;
    case value::kind::real:
      sqlite3_result_double(ctx, v.d);
      break;
    default:
      sqlite3_result_text(ctx, v.s.data(), static_cast<int>(v.s.size()),
                          SQLITE_TRANSIENT);
  }
  return SQLITE_OK;
}

int vt_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out =
    static_cast<sqlite3_int64>(reinterpret_cast<rows_cursor*>(cur)->pos + 1);
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

void register_rows_function(sqlite3* db, const rows_function& f) {
  static const sqlite3_module module = make_module();
  sqlite3_create_module_v2(db, f.name, &module, const_cast<rows_function*>(&f),
                           nullptr);
}

} // namespace themis::sql
