/// SQLite functions behind PostgreSQL arrays: construction, the JSON and
/// text forms, subscripts, slices, dimensions and array_agg. Arrays arrive
/// as their JSON form (or PostgreSQL's text form, which array_tree() also
/// reads) and leave as canonical JSON; element values are SQLite's stored
/// forms. Every failure is "SQLSTATE\x1fmessage" (sql_functions.hpp).

#include "engine/sql/sql_functions_array.hpp"

#include <algorithm>

#include "engine/sql/sql_functions_array_internal.hpp"

namespace themis::sql {

namespace array_fn {

namespace {

void fn_array(sqlite3_context* ctx, int n, sqlite3_value** a) {
  guarded(ctx, [&] {
    auto elem = oid_arg(a[0]);
    bool nested = sqlite3_value_int(a[1]) != 0;
    json top = json::array();
    bool nulls = false;
    for (int i = 2; i < n; ++i) {
      if (!nested)
        top.push_back(elem_of(a[i], elem));
      else if (is_null(a[i]))
        nulls = true;
      else
        top.push_back(tree(a[i], elem));
    }
    if (nested && nulls && !top.empty())
      throw sql_error("2202E", "multidimensional arrays must have array "
                               "expressions with matching dimensions");
    if (nested) // checks the sub-arrays match and the depth
      top = array_tree(value::of_text(array_json(top)), elem);
    result_tree(ctx, top);
  });
}

void fn_array_json(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  if (sqlite3_value_type(a[0]) == SQLITE_TEXT) {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(a[0]));
    if (p && p[0] == '[' && // already the JSON form
        json::accept(p, p + sqlite3_value_bytes(a[0])))
      return sqlite3_result_value(ctx, a[0]);
  }
  guarded(ctx, [&] { result_tree(ctx, tree(a[0], oid_arg(a[1]))); });
}

void fn_array_text(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx,
          [&] { result_text(ctx, array_to_text(arg(a[0]), oid_arg(a[1]))); });
}

void fn_array_sub(sqlite3_context* ctx, int n, sqlite3_value** a) {
  for (int i = 0; i < n; ++i)
    if (is_null(a[i]))
      return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto t = tree(a[0], 0);
    const json* cur = &t;
    for (int i = 1; i < n; ++i) {
      auto k = sqlite3_value_int64(a[i]);
      if (!cur->is_array() || k < 1 || k > static_cast<int64_t>(cur->size()))
        return sqlite3_result_null(ctx);
      cur = &(*cur)[static_cast<size_t>(k - 1)];
    }
    if (cur->is_array()) // fewer subscripts than dimensions
      return sqlite3_result_null(ctx);
    result(ctx, element_value(*cur));
  });
}

json slice(const json& j, const std::vector<std::pair<int64_t, int64_t>>& b,
           size_t k) {
  if (k == b.size() || !j.is_array())
    return j;
  auto size = static_cast<int64_t>(j.size());
  auto lo = std::max<int64_t>(b[k].first, 1);
  auto hi = std::min<int64_t>(b[k].second, size);
  json out = json::array();
  for (auto i = lo; i <= hi; ++i)
    out.push_back(slice(j[static_cast<size_t>(i - 1)], b, k + 1));
  return out;
}

void fn_array_slice(sqlite3_context* ctx, int n, sqlite3_value** a) {
  for (int i = 0; i < n; ++i)
    if (is_null(a[i]))
      return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto t = tree(a[0], 0);
    std::vector<std::pair<int64_t, int64_t>> b;
    for (int i = 1; i + 1 < n; i += 2)
      b.emplace_back(sqlite3_value_int64(a[i]), sqlite3_value_int64(a[i + 1]));
    auto dims = array_dims(t);
    if (dims.size() < b.size())
      return result_tree(ctx, json::array());
    auto out = slice(t, b, 0);
    for (auto d : array_dims(out))
      if (d == 0)
        return result_tree(ctx, json::array());
    if (flat(out).empty())
      return result_tree(ctx, json::array());
    result_tree(ctx, out);
  });
}

/// themis_array_dim(array, dim, what): what 0 length, 1 lower, 2 upper.
void fn_array_dim(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]) || is_null(a[1]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto dims = array_dims(tree(a[0], 0));
    auto d = sqlite3_value_int64(a[1]);
    if (d < 1 || d > static_cast<int64_t>(dims.size()))
      return sqlite3_result_null(ctx);
    auto what = sqlite3_value_int(a[2]);
    sqlite3_result_int64(ctx, what == 1 ? 1 : dims[static_cast<size_t>(d - 1)]);
  });
}

void fn_cardinality(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto dims = array_dims(tree(a[0], 0));
    int64_t n = dims.empty() ? 0 : 1;
    for (auto d : dims)
      n *= d;
    sqlite3_result_int64(ctx, n);
  });
}

void fn_array_ndims(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto dims = array_dims(tree(a[0], 0));
    if (dims.empty())
      return sqlite3_result_null(ctx);
    sqlite3_result_int64(ctx, static_cast<int64_t>(dims.size()));
  });
}

void fn_array_dims(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto dims = array_dims(tree(a[0], 0));
    if (dims.empty())
      return sqlite3_result_null(ctx);
    std::string s;
    for (auto d : dims)
      s += "[1:" + std::to_string(d) + "]";
    result_text(ctx, s);
  });
}

void agg_step(sqlite3_context* ctx, int, sqlite3_value** a) {
  auto slot =
    static_cast<json**>(sqlite3_aggregate_context(ctx, sizeof(json*)));
  if (!slot)
    return sqlite3_result_error_nomem(ctx);
  guarded(ctx, [&] {
    if (!*slot)
      *slot = new json(json::array());
    auto v = arg(a[0]);
    switch (v.k) {
      case value::kind::null:
        (*slot)->push_back(nullptr);
        break;
      case value::kind::integer:
        (*slot)->push_back(v.i);
        break;
      case value::kind::real:
        (*slot)->push_back(v.d);
        break;
      case value::kind::blob:
        (*slot)->push_back(to_text(v, oid::bytea));
        break;
      default:
        (*slot)->push_back(v.s);
    }
  });
}

void agg_final(sqlite3_context* ctx) {
  auto slot = static_cast<json**>(sqlite3_aggregate_context(ctx, 0));
  if (!slot || !*slot)
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] { result_tree(ctx, **slot); });
  delete *slot;
  *slot = nullptr;
}

/// themis_array_fix(agg, elem, nested): array_agg's values in the element
/// type's stored form; `nested`: each value is an array (the result has one
/// more dimension; NULL, empty or differently shaped ones are errors).
void fn_array_fix(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[1]);
    bool nested = sqlite3_value_int(a[2]) != 0;
    auto raw = json::parse(arg(a[0]).s);
    json out = json::array();
    std::vector<int64_t> first_dims;
    for (auto& x : raw) {
      if (!nested) {
        out.push_back(x.is_null()
                        ? json(nullptr)
                        : element_json(coerce(element_value(x), elem), elem));
        continue;
      }
      if (x.is_null())
        throw sql_error("22004", "cannot accumulate null arrays");
      auto sub = array_tree(element_value(x), elem);
      auto dims = array_dims(sub);
      if (dims.empty())
        throw sql_error("2202E", "cannot accumulate empty arrays");
      if (out.empty())
        first_dims = dims;
      else if (dims != first_dims)
        throw sql_error("2202E", "cannot accumulate arrays of different "
                                 "dimensionality");
      if (dims.size() + 1 > static_cast<size_t>(max_array_dims))
        throw sql_error("54000", "number of array dimensions (" +
                                   std::to_string(dims.size() + 1) +
                                   ") exceeds the maximum allowed (6)");
      out.push_back(std::move(sub));
    }
    result_tree(ctx, out);
  });
}

} // namespace

} // namespace array_fn

void register_array_functions(sqlite3* db) {
  using namespace array_fn;
  register_unnest_module(db);
  register_array_ops(db);
  register_ordered_agg(db);
  add(db, "themis_array", -1, fn_array);
  add(db, "themis_array_json", 2, fn_array_json);
  add(db, "themis_array_text", 2, fn_array_text);
  add(db, "themis_array_sub", -1, fn_array_sub);
  add(db, "themis_array_slice", -1, fn_array_slice);
  add(db, "themis_array_dim", 3, fn_array_dim);
  add(db, "themis_cardinality", 1, fn_cardinality);
  add(db, "themis_array_ndims", 1, fn_array_ndims);
  add(db, "themis_array_dims", 1, fn_array_dims);
  add(db, "themis_array_fix", 3, fn_array_fix);
  sqlite3_create_function_v2(db, "themis_array_agg", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             nullptr, agg_step, agg_final, nullptr);
}

} // namespace themis::sql
