/// themis_unnest(array, elem): a table-valued function (an eponymous
/// SQLite virtual table) with one row per element, in PostgreSQL's order
/// (row-major over every dimension): columns `v` (the element in its
/// stored form for element type `elem`) and `ordinality` (from 1).
/// Being a table-valued function, not a subquery, its argument may name
/// columns of the FROM items before it (`SELECT id, unnest(tags) FROM t`).

#include <sqlite3.h>

#include <string>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/sql_functions_array.hpp"

namespace themis::sql {

namespace {

struct unnest_cursor {
  sqlite3_vtab_cursor base{};
  std::vector<value> items;
  size_t pos = 0;
};

void collect(const nlohmann::json& j, std::vector<value>& out) {
  if (!j.is_array()) {
    out.push_back(element_value(j));
    return;
  }
  for (auto& x : j) // at most 6 deep: array_tree checked it
    collect(x, out);
}

int vt_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out,
               char**) {
  int rc = sqlite3_declare_vtab(
    db, "CREATE TABLE x(v, ordinality, arr HIDDEN, elem HIDDEN)");
  if (rc != SQLITE_OK)
    return rc;
  auto* vt = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
  if (!vt)
    return SQLITE_NOMEM;
  *vt = sqlite3_vtab{};
  *out = vt;
  return SQLITE_OK;
}

int vt_disconnect(sqlite3_vtab* vt) {
  sqlite3_free(vt);
  return SQLITE_OK;
}

/// Both hidden arguments must be given (as equality constraints).
int vt_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  int arr = -1, elem = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ)
      continue;
    if (!c.usable)
      return SQLITE_CONSTRAINT;
    if (c.iColumn == 2)
      arr = i;
    else if (c.iColumn == 3)
      elem = i;
  }
  if (arr < 0 || elem < 0)
    return SQLITE_CONSTRAINT;
  info->aConstraintUsage[arr].argvIndex = 1;
  info->aConstraintUsage[arr].omit = 1;
  info->aConstraintUsage[elem].argvIndex = 2;
  info->aConstraintUsage[elem].omit = 1;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) unnest_cursor();
  if (!c)
    return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int vt_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<unnest_cursor*>(cur);
  return SQLITE_OK;
}

int vt_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc,
              sqlite3_value** argv) {
  auto* c = reinterpret_cast<unnest_cursor*>(cur);
  c->items.clear();
  c->pos = 0;
  if (argc < 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
    return SQLITE_OK; // unnest(NULL): no rows
  try {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    std::string text(p ? p : "",
                     static_cast<size_t>(sqlite3_value_bytes(argv[0])));
    auto elem = static_cast<uint32_t>(sqlite3_value_int64(argv[1]));
    auto tree = array_tree(value::of_text(std::move(text)), elem);
    if (!array_dims(tree).empty())
      collect(tree, c->items);
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
  ++reinterpret_cast<unnest_cursor*>(cur)->pos;
  return SQLITE_OK;
}

int vt_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<unnest_cursor*>(cur);
  return c->pos >= c->items.size();
}

int vt_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<unnest_cursor*>(cur);
  if (col == 1) {
    sqlite3_result_int64(ctx, static_cast<int64_t>(c->pos + 1));
    return SQLITE_OK;
  }
  if (col != 0) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  auto& v = c->items[c->pos];
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
    static_cast<sqlite3_int64>(reinterpret_cast<unnest_cursor*>(cur)->pos + 1);
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m{};
  m.iVersion = 0;
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

void register_unnest_module(sqlite3* db) {
  static const sqlite3_module module = make_module();
  sqlite3_create_module_v2(db, "themis_unnest", &module, nullptr, nullptr);
}

} // namespace themis::sql
