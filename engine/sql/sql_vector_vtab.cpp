#include "engine/sql/sql_vector_vtab.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "engine/search/fts_query.hpp"
#include "engine/search/search_service.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_types.hpp"
#include "engine/sql/sql_vector_value.hpp"

namespace themis::sql {

namespace {

using search::index_kind;

/// Visible columns _key, distance|score, doc, ordinality; then the seven
/// HIDDEN arguments.
constexpr int first_argument = 4;
constexpr int argument_count = 7;

struct search_fn {
  const char* name;
  index_kind kind;
  const char* schema;
};

const search_fn vector_fn{
  "themis_vsearch", index_kind::vector,
  "CREATE TABLE x(_key, distance, doc, ordinality, coll HIDDEN, field HIDDEN,"
  " q HIDDEN, k HIDDEN, ef HIDDEN, ns HIDDEN, allns HIDDEN)"};
const search_fn fulltext_fn{
  "themis_ftsearch", index_kind::fulltext,
  "CREATE TABLE x(_key, score, doc, ordinality, coll HIDDEN, field HIDDEN,"
  " q HIDDEN, lim HIDDEN, unused HIDDEN, ns HIDDEN, allns HIDDEN)"};

struct search_vtab {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
  const search_fn* fn = nullptr;
};

struct hit_row {
  std::string key;
  double value = 0; ///< distance or score
  std::string doc;
};

struct search_cursor {
  sqlite3_vtab_cursor base{};
  std::vector<hit_row> rows;
  size_t pos = 0;
};

std::string text_of(sqlite3_value* v) {
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
}

const char* kind_word(index_kind k) {
  return k == index_kind::vector ? "vector" : "fulltext";
}

/// What the index a call means is, for EXPLAIN: the definition when the
/// collection and attribute are constants, else a note.
std::string describe(const search_fn& fn, const std::string& coll,
                     const std::string& field, const std::string& ns,
                     bool all) {
  auto* svc = search::search_service::global();
  auto stored = stored_collection_name(coll, ns, all);
  if (!svc || stored.empty())
    return std::string(kind_word(fn.kind)) + " index (none found)";
  try {
    auto st = svc->resolve(fn.kind, stored, {}, field);
    auto& d = st.def;
    std::string s = std::string(kind_word(fn.kind)) + " index " + d.name +
                    " on " + coll + "." + d.attribute;
    if (fn.kind == index_kind::vector)
      s += " (hnsw, " + std::string(vector::metric_name(d.metric)) +
           ", dimension " + std::to_string(d.dimension) + ", M " +
           std::to_string(d.m) + ", ef_search " + std::to_string(d.ef_search) +
           ", " + st.state + ")";
    else
      s += " (fts5 " + d.tokenizer + ", bm25, " + st.state + ")";
    return s;
  } catch (const std::exception&) {
    return std::string("no ") + kind_word(fn.kind) + " index on " + coll + "." +
           field;
  }
}

int vt_connect(sqlite3* db, void* aux, int, const char* const*,
               sqlite3_vtab** out, char**) {
  auto* fn = static_cast<const search_fn*>(aux);
  int rc = sqlite3_declare_vtab(db, fn->schema);
  if (rc != SQLITE_OK)
    return rc;
  auto* vt = new (std::nothrow) search_vtab();
  if (!vt)
    return SQLITE_NOMEM;
  vt->db = db;
  vt->fn = fn;
  *out = &vt->base;
  return SQLITE_OK;
}

int vt_disconnect(sqlite3_vtab* vt) {
  delete reinterpret_cast<search_vtab*>(vt);
  return SQLITE_OK;
}

/// Every argument must be bound (the translator always passes seven).
/// The plan's text names the index when the names are constants.
int vt_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  auto* vt = reinterpret_cast<search_vtab*>(vtab);
  int slot[argument_count];
  std::fill(std::begin(slot), std::end(slot), -1);
  for (int i = 0; i < info->nConstraint; ++i) {
    auto& c = info->aConstraint[i];
    int k = c.iColumn - first_argument;
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ || k < 0 || k >= argument_count)
      continue;
    if (!c.usable)
      return SQLITE_CONSTRAINT;
    slot[k] = i;
  }
  for (int k = 0; k < argument_count; ++k) {
    if (slot[k] < 0)
      return SQLITE_CONSTRAINT;
    info->aConstraintUsage[slot[k]].argvIndex = k + 1;
    info->aConstraintUsage[slot[k]].omit = 1;
  }
  sqlite3_value* v[argument_count] = {};
  for (int k : {0, 1, 5, 6})
    if (sqlite3_vtab_rhs_value(info, slot[k], &v[k]) != SQLITE_OK)
      v[k] = nullptr;
  std::string what =
    v[0] && v[1] && v[5] && v[6]
      ? describe(*vt->fn, text_of(v[0]), text_of(v[1]), text_of(v[5]),
                 sqlite3_value_int(v[6]) != 0)
      : std::string(kind_word(vt->fn->kind)) +
          " index (collection and attribute resolved at run time)";
  info->idxStr = sqlite3_mprintf("%s", what.c_str());
  info->needToFreeIdxStr = 1;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) search_cursor();
  if (!c)
    return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int vt_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<search_cursor*>(cur);
  return SQLITE_OK;
}

/// The change-log sequence of the statement's snapshot, capped by what is
/// committed (inside a writing transaction the snapshot holds sequences
/// no index can have applied yet).
uint64_t snapshot_sequence(sqlite3* db, search::search_service& svc) {
  sqlite3_stmt* s = nullptr;
  uint64_t seq = 0;
  if (sqlite3_prepare_v2(
        db,
        "SELECT max(COALESCE((SELECT max(seq) FROM changelog), 0),"
        " COALESCE((SELECT CAST(v AS INTEGER) FROM meta"
        " WHERE k = 'compacted_through'), 0))",
        -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  return std::min(seq, svc.current_sequence());
}

/// The hit's document as the statement's snapshot holds it ("" if gone).
std::string load_doc(sqlite3* db, const std::string& collection,
                     const std::string& key) {
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(
        db, "SELECT doc FROM documents WHERE collection = ?1 AND key = ?2", -1,
        &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, collection.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW)
      out = text_of(sqlite3_column_value(s, 0));
  }
  sqlite3_finalize(s);
  return out;
}

/// An integer argument in [1, max_k] (NULL: `def`); 22023 otherwise.
size_t count_arg(sqlite3_value* v, size_t def, const char* what) {
  if (sqlite3_value_type(v) == SQLITE_NULL)
    return def;
  auto t = sqlite3_value_numeric_type(v);
  double d = sqlite3_value_double(v);
  if ((t != SQLITE_INTEGER && t != SQLITE_FLOAT) ||
      d != static_cast<int64_t>(d))
    throw sql_error("22023", std::string(what) + " must be an integer");
  auto n = sqlite3_value_int64(v);
  if (n < 1 || n > static_cast<int64_t>(vector::max_k))
    throw sql_error("22023", std::string(what) + " must be between 1 and " +
                               std::to_string(vector::max_k) + " (got " +
                               std::to_string(n) + ")");
  return static_cast<size_t>(n);
}

/// A search_error as the PostgreSQL error a client expects.
[[noreturn]] void rethrow(const search::search_error& e, const std::string& fn,
                          const std::string& coll, const std::string& field,
                          index_kind kind) {
  if (e.status == 404)
    throw sql_error("42704", fn + "(): no " + kind_word(kind) + " index on \"" +
                               coll + "\".\"" + field + "\" (" + e.what() +
                               ")");
  if (e.status == 400)
    throw sql_error("22023", fn + "(): " + e.what());
  if (e.status == 503)
    throw sql_error("55000", fn + "(): " + e.what());
  throw sql_error("XX000", fn + "(): " + e.what());
}

void fill(search_vtab& vt, sqlite3_value** argv, std::vector<hit_row>& rows) {
  auto& fn = *vt.fn;
  bool vec = fn.kind == index_kind::vector;
  std::string shown = vec ? "themis_vector_search" : "themis_fulltext";
  for (int i = 0; i < 4; ++i)
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
      return; // a NULL argument: no rows (STRICT, as PostgreSQL's)
  auto* svc = search::search_service::global();
  if (!svc)
    throw sql_error("55000", shown + "(): search indexes are not available");
  auto coll = text_of(argv[0]);
  auto field = text_of(argv[1]);
  auto stored = stored_collection_name(coll, text_of(argv[5]),
                                       sqlite3_value_int(argv[6]) != 0);
  if (stored.empty())
    throw sql_error("42704", shown + "(): no " + kind_word(fn.kind) +
                               " index on \"" + coll + "\".\"" + field +
                               "\" (not a collection of this namespace)");
  try {
    auto idx = svc->resolve(fn.kind, stored, {}, field);
    if (vec) {
      std::vector<float> q;
      auto why = parse_sql_vector(text_of(argv[2]), idx.def.dimension, q);
      if (!why.empty())
        throw sql_error("22023", shown + "(): invalid query vector: " + why);
      size_t k = count_arg(argv[3], 10, "k");
      size_t ef = count_arg(argv[4], 0, "ef");
      svc->wait_applied(idx.def.id, snapshot_sequence(vt.db, *svc));
      // hnswlib searches max(ef_search, k') candidates: asking for
      // k' = ef results widens the beam, then the best k are kept
      auto hits = svc->vector_search(idx.def.id, q, std::max(k, ef));
      for (auto& h : hits) {
        if (rows.size() >= k)
          break;
        auto doc = load_doc(vt.db, stored, h.key);
        if (!doc.empty())
          rows.push_back({h.key, h.distance, std::move(doc)});
      }
      return;
    }
    auto t = search::translate_fts_query(text_of(argv[2]));
    if (!t.error.empty())
      throw sql_error("42601", shown + "(): " + t.error);
    size_t limit = count_arg(argv[3], 100, "limit");
    svc->wait_applied(idx.def.id, snapshot_sequence(vt.db, *svc));
    for (auto& h : svc->fulltext_search(idx.def.id, t.match, limit)) {
      auto doc = load_doc(vt.db, stored, h.key);
      if (!doc.empty())
        rows.push_back({h.key, h.score, std::move(doc)});
    }
  } catch (const search::search_error& e) {
    rethrow(e, shown, coll, field, fn.kind);
  }
}

int vt_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc,
              sqlite3_value** argv) {
  auto* c = reinterpret_cast<search_cursor*>(cur);
  auto* vt = reinterpret_cast<search_vtab*>(cur->pVtab);
  c->rows.clear();
  c->pos = 0;
  try {
    if (argc != argument_count)
      throw sql_error("XX000", "search function called with " +
                                 std::to_string(argc) + " arguments");
    fill(*vt, argv, c->rows);
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
  ++reinterpret_cast<search_cursor*>(cur)->pos;
  return SQLITE_OK;
}

int vt_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<search_cursor*>(cur);
  return c->pos >= c->rows.size();
}

int vt_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<search_cursor*>(cur);
  auto& r = c->rows[c->pos];
  switch (col) {
    case 0:
      sqlite3_result_text(ctx, r.key.data(), static_cast<int>(r.key.size()),
                          SQLITE_TRANSIENT);
      break;
    case 1:
      sqlite3_result_double(ctx, r.value);
      break;
    case 2:
      sqlite3_result_text(ctx, r.doc.data(), static_cast<int>(r.doc.size()),
                          SQLITE_TRANSIENT);
      break;
    case 3:
      sqlite3_result_int64(ctx, static_cast<int64_t>(c->pos + 1));
      break;
    default:
      sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int vt_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out =
    static_cast<sqlite3_int64>(reinterpret_cast<search_cursor*>(cur)->pos + 1);
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m{};
  m.xCreate = nullptr; // eponymous only
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

void register_explain_module(sqlite3* db);  // sql_vector_explain.cpp
void register_vector_distance(sqlite3* db); // sql_vector_distance.cpp

void register_vector_sql(sqlite3* db) {
  static const sqlite3_module module = make_module();
  for (auto* f : {&vector_fn, &fulltext_fn})
    sqlite3_create_module_v2(db, f->name, &module, const_cast<search_fn*>(f),
                             nullptr);
  register_vector_distance(db);
  register_explain_module(db);
}

} // namespace themis::sql
