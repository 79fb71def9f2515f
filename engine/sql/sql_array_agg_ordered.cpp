/// themis_array_agg_ord(x, key1, flags1, key2, flags2, …): array_agg(x
/// ORDER BY key1 [DESC] [NULLS FIRST|LAST], …) without SQLite 3.44's
/// ordered aggregates: the rows are collected with their keys and sorted
/// (stable, so equal keys keep their input order) when the group ends.
/// flags: bit 0 descending, bit 1 NULLs first. The result is the JSON
/// array themis_array_agg() gives (themis_array_fix() types it).

#include <algorithm>
#include <string>
#include <vector>

#include "engine/sql/sql_functions_array.hpp"
#include "engine/sql/sql_functions_array_internal.hpp"

namespace themis::sql {

namespace {

using namespace array_fn;

struct ordered_row {
  std::vector<value> keys;
  value x;
};

struct ordered_state {
  std::vector<ordered_row> rows;
  std::vector<int> flags;
};

/// SQLite's own ordering of two non-NULL values: numbers, then text
/// (BINARY), then blobs.
int value_cmp(const value& a, const value& b) {
  auto rank = [](const value& v) {
    return v.k == value::kind::integer || v.k == value::kind::real ? 0
           : v.k == value::kind::text                              ? 1
                                                                   : 2;
  };
  if (rank(a) != rank(b))
    return rank(a) < rank(b) ? -1 : 1;
  if (rank(a) == 0) {
    if (a.k == value::kind::integer && b.k == value::kind::integer)
      return a.i < b.i ? -1 : a.i > b.i;
    double x = a.k == value::kind::integer ? static_cast<double>(a.i) : a.d;
    double y = b.k == value::kind::integer ? static_cast<double>(b.i) : b.d;
    return x < y ? -1 : x > y;
  }
  auto c = a.s.compare(b.s);
  return c < 0 ? -1 : c > 0;
}

void ord_step(sqlite3_context* ctx, int n, sqlite3_value** a) {
  auto slot = static_cast<ordered_state**>(
    sqlite3_aggregate_context(ctx, sizeof(ordered_state*)));
  if (!slot)
    return sqlite3_result_error_nomem(ctx);
  guarded(ctx, [&] {
    if (!*slot) {
      *slot = new ordered_state();
      for (int i = 2; i < n; i += 2)
        (*slot)->flags.push_back(sqlite3_value_int(a[i]));
    }
    ordered_row r;
    r.x = arg(a[0]);
    for (int i = 1; i < n; i += 2)
      r.keys.push_back(arg(a[i]));
    (*slot)->rows.push_back(std::move(r));
  });
}

void ord_final(sqlite3_context* ctx) {
  auto slot = static_cast<ordered_state**>(sqlite3_aggregate_context(ctx, 0));
  if (!slot || !*slot)
    return sqlite3_result_null(ctx);
  auto* st = *slot;
  guarded(ctx, [&] {
    std::stable_sort(st->rows.begin(), st->rows.end(),
                     [&](const ordered_row& l, const ordered_row& r) {
                       for (size_t k = 0; k < st->flags.size(); ++k) {
                         bool desc = st->flags[k] & 1,
                              nulls_first = st->flags[k] & 2;
                         auto &x = l.keys[k], &y = r.keys[k];
                         if (x.is_null() || y.is_null()) {
                           if (x.is_null() && y.is_null())
                             continue;
                           return x.is_null() == nulls_first;
                         }
                         int c = value_cmp(x, y);
                         if (c)
                           return desc ? c > 0 : c < 0;
                       }
                       return false;
                     });
    json out = json::array();
    for (auto& r : st->rows) {
      auto& v = r.x;
      switch (v.k) {
        case value::kind::null:
          out.push_back(nullptr);
          break;
        case value::kind::integer:
          out.push_back(v.i);
          break;
        case value::kind::real:
          out.push_back(v.d);
          break;
        case value::kind::blob:
          out.push_back(to_text(v, oid::bytea));
          break;
        default:
          out.push_back(v.s);
      }
    }
    result_tree(ctx, out);
  });
  delete st;
  *slot = nullptr;
}

} // namespace

void register_ordered_agg(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_array_agg_ord", -1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             nullptr, ord_step, ord_final, nullptr);
}

} // namespace themis::sql
