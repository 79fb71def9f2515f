#include "engine/sql/sql_functions_numeric.hpp"
#include "engine/sql/sql_functions.hpp"

#include <cstring>
#include <sqlite3.h>
#include <string>

#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/pg_types.hpp"

namespace themis::sql {

namespace {

using num::numeric;

template <class F>
void guarded(sqlite3_context* ctx, F&& f) {
  try {
    f();
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    result_error(ctx, "XX000", e.what());
  }
}

std::string_view text_of(sqlite3_value* v) {
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v))};
}

/// Any SQLite value as a numeric (false: NULL). REAL goes as float8 →
/// numeric does (15 significant digits).
bool arg(sqlite3_value* v, numeric& out) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return false;
    case SQLITE_INTEGER:
      out = num::from_int(sqlite3_value_int64(v));
      return true;
    case SQLITE_FLOAT:
      out = num::from_double(sqlite3_value_double(v));
      return true;
    default:
      out = num::parse(text_of(v));
      return true;
  }
}

void result(sqlite3_context* ctx, const numeric& x) {
  auto t = num::to_string(x);
  sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                      SQLITE_TRANSIENT);
}

template <numeric (*F)(const numeric&, const numeric&)>
void fn_binary(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x, y;
    if (!arg(a[0], x) || !arg(a[1], y))
      return sqlite3_result_null(ctx);
    result(ctx, F(x, y));
  });
}

template <numeric (*F)(const numeric&)>
void fn_unary(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    result(ctx, F(x));
  });
}

numeric neg_of(const numeric& x) {
  return num::negate(x);
}
numeric abs_of(const numeric& x) {
  return num::abs(x);
}
numeric to_num(const numeric& x) {
  return x;
}

/// round(x [, s]) / trunc(x [, s]); s is clamped to ±2000 as PostgreSQL.
template <bool Round>
void fn_places(sqlite3_context* ctx, int n, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x) || (n > 1 && sqlite3_value_type(a[1]) == SQLITE_NULL))
      return sqlite3_result_null(ctx);
    int64_t s = n > 1 ? sqlite3_value_int64(a[1]) : 0;
    s = s < -2000 ? -2000 : s > 2000 ? 2000 : s;
    auto si = static_cast<int>(s);
    result(ctx, Round ? num::round(x, si) : num::trunc(x, si));
  });
}

void fn_cmp(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x, y;
    if (!arg(a[0], x) || !arg(a[1], y))
      return sqlite3_result_null(ctx);
    sqlite3_result_int(ctx, num::cmp(x, y));
  });
}

/// A document field read with `->`: JSON null or absent is NULL, the
/// strings "NaN"/"Infinity"/"-Infinity" are those values, a number literal
/// is kept digit for digit (canonicalised only when it has an exponent or
/// is not plain).
void fn_col(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    if (sqlite3_value_type(a[0]) == SQLITE_NULL)
      return sqlite3_result_null(ctx);
    auto t = text_of(a[0]);
    if (t == "null")
      return sqlite3_result_null(ctx);
    bool plain = !t.empty() &&
                 t.find_first_not_of("-.0123456789") == std::string_view::npos;
    if (plain && t.size() > 1 && (t[0] == '0' || (t[0] == '-' && t[1] == '0')))
      plain = t.find('.') != std::string_view::npos; // "0.5" yes, "007" no
    if (plain && t != "-0" && t.rfind("-0.", 0) != 0)
      return (void)sqlite3_result_text(
        ctx, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    if (t.size() >= 2 && t.front() == '"')
      t = t.substr(1, t.size() - 2);
    result(ctx, num::parse(t));
  });
}

/// A value for a document: a finite numeric is a JSON number literal with
/// its exact digits (subtype 'J' so json_set embeds it); NaN and the
/// infinities stay strings.
void fn_json(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    auto t = num::to_string(x);
    sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                        SQLITE_TRANSIENT);
    if (x.finite())
      sqlite3_result_subtype(ctx, 'J');
  });
}

/// An index key: the value's text without trailing fraction zeros, so
/// equal values are equal keys (1.50 and 1.5 → "1.5").
void fn_key(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    auto t = num::to_string(x);
    if (x.finite() && x.scale > 0) {
      t.erase(t.find_last_not_of('0') + 1);
      if (t.back() == '.')
        t.pop_back();
    }
    sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                        SQLITE_TRANSIENT);
  });
}

void fn_typmod(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    result(ctx, num::apply_typmod(
                  x, static_cast<int32_t>(sqlite3_value_int64(a[1]))));
  });
}

void fn_to_int(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    auto o = sqlite3_value_int64(a[1]);
    sqlite3_result_int64(ctx, num::to_int(x, o == oid::int2   ? "smallint"
                                             : o == oid::int4 ? "integer"
                                                              : "bigint"));
  });
}

/// numeric → float8/float4: the stored float form (NaN/±Infinity as text).
void fn_to_float(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return sqlite3_result_null(ctx);
    if (x.finite())
      return sqlite3_result_double(ctx, num::to_double(x));
    result(ctx, x);
  });
}

int collate(void*, int n1, const void* p1, int n2, const void* p2) {
  std::string_view a(static_cast<const char*>(p1), static_cast<size_t>(n1));
  std::string_view b(static_cast<const char*>(p2), static_cast<size_t>(n2));
  try {
    return num::cmp(num::parse(a), num::parse(b));
  } catch (const sql_error&) { // not numbers: a consistent order anyway
    int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
    return c ? c : (a.size() < b.size() ? -1 : a.size() > b.size());
  }
}

/// sum/avg state, behind a pointer in SQLite's aggregate context.
struct acc {
  numeric sum;
  int64_t count = 0;
};

acc* state(sqlite3_context* ctx, bool create) {
  auto p = static_cast<acc**>(
    sqlite3_aggregate_context(ctx, create ? sizeof(acc*) : 0));
  if (!p)
    return nullptr;
  if (!*p && create)
    *p = new acc;
  return *p;
}

void agg_step(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    numeric x;
    if (!arg(a[0], x))
      return;
    auto s = state(ctx, true);
    if (!s)
      return sqlite3_result_error_nomem(ctx);
    s->sum = s->count ? num::add(s->sum, x) : x;
    ++s->count;
  });
}

template <bool Avg>
void agg_final(sqlite3_context* ctx) {
  auto s = state(ctx, false);
  if (!s)
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    if (Avg)
      result(ctx, num::div(s->sum, num::from_int(s->count)));
    else
      result(ctx, s->sum);
  });
  delete s;
}

void add(sqlite3* db, const char* name, int n,
         void (*f)(sqlite3_context*, int, sqlite3_value**)) {
  sqlite3_create_function_v2(db, name, n, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                             nullptr, f, nullptr, nullptr, nullptr);
}

} // namespace

void register_numeric_functions(sqlite3* db) {
  add(db, "themis_num", 1, fn_unary<to_num>);
  add(db, "themis_num_add", 2, fn_binary<num::add>);
  add(db, "themis_num_sub", 2, fn_binary<num::sub>);
  add(db, "themis_num_mul", 2, fn_binary<num::mul>);
  add(db, "themis_num_div", 2, fn_binary<num::div>);
  add(db, "themis_num_mod", 2, fn_binary<num::mod>);
  add(db, "themis_num_neg", 1, fn_unary<neg_of>);
  add(db, "themis_num_abs", 1, fn_unary<abs_of>);
  add(db, "themis_num_ceil", 1, fn_unary<num::ceil>);
  add(db, "themis_num_floor", 1, fn_unary<num::floor>);
  add(db, "themis_num_sign", 1, fn_unary<num::sign>);
  add(db, "themis_num_round", 1, fn_places<true>);
  add(db, "themis_num_round", 2, fn_places<true>);
  add(db, "themis_num_trunc", 1, fn_places<false>);
  add(db, "themis_num_trunc", 2, fn_places<false>);
  add(db, "themis_num_cmp", 2, fn_cmp);
  add(db, "themis_num_col", 1, fn_col);
  add(db, "themis_num_json", 1, fn_json);
  add(db, "themis_num_typmod", 2, fn_typmod);
  add(db, "themis_num_key", 1, fn_key);
  add(db, "themis_num_to_int", 2, fn_to_int);
  add(db, "themis_num_to_float", 1, fn_to_float);
  sqlite3_create_function_v2(db, "themis_num_sum", 1, SQLITE_UTF8, nullptr,
                             nullptr, agg_step, agg_final<false>, nullptr);
  sqlite3_create_function_v2(db, "themis_num_avg", 1, SQLITE_UTF8, nullptr,
                             nullptr, agg_step, agg_final<true>, nullptr);
  sqlite3_create_collation_v2(db, "themis_num", SQLITE_UTF8, nullptr, collate,
                              nullptr);
}

} // namespace themis::sql
