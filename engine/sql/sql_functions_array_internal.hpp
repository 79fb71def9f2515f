#pragma once
/// Helpers shared by the SQLite functions behind arrays
/// (sql_functions_array.cpp, sql_functions_array_ops.cpp). Not for use
/// outside them.

#include <sqlite3.h>

#include <string>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/pg_types.hpp"

namespace themis::sql::array_fn {

using json = nlohmann::json;

inline value arg(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return value::of(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return value::of_real(sqlite3_value_double(v));
    case SQLITE_NULL:
      return {};
    case SQLITE_BLOB: {
      value x;
      x.k = value::kind::blob;
      auto p = static_cast<const char*>(sqlite3_value_blob(v));
      x.s.assign(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
      return x;
    }
    default: {
      auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return value::of_text(
        std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v))));
    }
  }
}

inline bool is_null(sqlite3_value* v) {
  return sqlite3_value_type(v) == SQLITE_NULL;
}

inline uint32_t oid_arg(sqlite3_value* v) {
  return static_cast<uint32_t>(sqlite3_value_int64(v));
}

inline void result(sqlite3_context* ctx, const value& v) {
  switch (v.k) {
    case value::kind::null:
      return sqlite3_result_null(ctx);
    case value::kind::integer:
      return sqlite3_result_int64(ctx, v.i);
    case value::kind::real:
      return sqlite3_result_double(ctx, v.d);
    default:
      return sqlite3_result_text(ctx, v.s.data(), static_cast<int>(v.s.size()),
                                 SQLITE_TRANSIENT);
  }
}

inline void result_text(sqlite3_context* ctx, const std::string& s) {
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
}

inline void result_tree(sqlite3_context* ctx, const json& t) {
  result_text(ctx, array_json(t));
}

template <class F>
inline void guarded(sqlite3_context* ctx, F&& f) {
  try {
    f();
  } catch (const sql_error& e) {
    auto m = e.sqlstate() + "\x1f" + e.what();
    sqlite3_result_error(ctx, m.c_str(), static_cast<int>(m.size()));
  } catch (const std::exception& e) {
    auto m = std::string("XX000\x1f") + e.what();
    sqlite3_result_error(ctx, m.c_str(), static_cast<int>(m.size()));
  }
}

inline json tree(sqlite3_value* v, uint32_t elem) {
  return array_tree(arg(v), elem);
}

/// An element for `elem` from a SQLite value.
inline json elem_of(sqlite3_value* v, uint32_t elem) {
  if (is_null(v))
    return nullptr;
  return element_json(coerce(arg(v), elem), elem);
}

inline void flatten(const json& j, std::vector<const json*>& out) {
  if (!j.is_array()) {
    out.push_back(&j);
    return;
  }
  for (auto& x : j) // at most 6 deep: array_tree checked it
    flatten(x, out);
}

inline std::vector<const json*> flat(const json& t) {
  std::vector<const json*> out;
  flatten(t, out);
  return out;
}

/// Orders two non-null elements of element type `elem`: numerics by exact
/// value (12.5 = 12.50), other numbers by value, the rest by their stored
/// form (byte order, as SQLite's BINARY collation).
inline int elem_cmp(const json& a, const json& b, uint32_t elem) {
  if (elem == oid::numeric && !a.is_boolean() && !b.is_boolean()) {
    auto text = [](const json& j) {
      return j.is_string() ? j.get<std::string>() : j.dump();
    };
    return num::cmp(num::parse(text(a)), num::parse(text(b)));
  }
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) {
      auto x = a.get<int64_t>(), y = b.get<int64_t>();
      return x < y ? -1 : x > y;
    }
    auto x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y;
  }
  if (a.is_boolean() && b.is_boolean())
    return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
  if (a.is_string() && b.is_string()) {
    auto c =
      a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0;
  }
  auto x = a.dump(), y = b.dump();
  return x < y ? -1 : x > y;
}

inline bool elem_eq(const json& a, const json& b, uint32_t elem) {
  return !a.is_null() && !b.is_null() && elem_cmp(a, b, elem) == 0;
}

inline void add(sqlite3* db, const char* name, int n,
                void (*f)(sqlite3_context*, int, sqlite3_value**),
                void* user = nullptr) {
  sqlite3_create_function_v2(db, name, n, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                             user, f, nullptr, nullptr, nullptr);
}

/// The element-wise functions (sql_functions_array_ops.cpp).
void register_array_ops(sqlite3* db);

} // namespace themis::sql::array_fn
