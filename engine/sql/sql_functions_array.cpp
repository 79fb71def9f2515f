/// SQLite functions behind PostgreSQL arrays. Arrays arrive as their JSON
/// form (or PostgreSQL's text form, which array_tree() also reads) and
/// leave as canonical JSON; element values are SQLite's stored forms.
/// Every failure is "SQLSTATE\x1fmessage" (sql_functions.hpp).

#include "engine/sql/sql_functions_array.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions.hpp"

namespace themis::sql {

using json = nlohmann::json;

namespace {

value arg(sqlite3_value* v) {
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

bool is_null(sqlite3_value* v) {
  return sqlite3_value_type(v) == SQLITE_NULL;
}

uint32_t oid_arg(sqlite3_value* v) {
  return static_cast<uint32_t>(sqlite3_value_int64(v));
}

void result(sqlite3_context* ctx, const value& v) {
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

void result_text(sqlite3_context* ctx, const std::string& s) {
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
}

void result_tree(sqlite3_context* ctx, const json& t) {
  result_text(ctx, array_json(t));
}

template <class F>
void guarded(sqlite3_context* ctx, F&& f) {
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

json tree(sqlite3_value* v, uint32_t elem) {
  return array_tree(arg(v), elem);
}

/// An element for `elem` from a SQLite value.
json elem_of(sqlite3_value* v, uint32_t elem) {
  if (is_null(v))
    return nullptr;
  return element_json(coerce(arg(v), elem), elem);
}

void flatten(const json& j, std::vector<const json*>& out) {
  if (!j.is_array()) {
    out.push_back(&j);
    return;
  }
  for (auto& x : j) // at most 6 deep: array_tree checked it
    flatten(x, out);
}

std::vector<const json*> flat(const json& t) {
  std::vector<const json*> out;
  flatten(t, out);
  return out;
}

/// Orders two non-null elements of one type: numbers by value, the rest
/// by their stored form (byte order, as SQLite's BINARY collation).
int elem_cmp(const json& a, const json& b) {
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

bool elem_eq(const json& a, const json& b) {
  return !a.is_null() && !b.is_null() && elem_cmp(a, b) == 0;
}

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

const json& one_dim(const json& t, const char* what) {
  if (array_dims(t).size() > 1)
    throw sql_error("0A000", std::string(what) +
                               " in multidimensional arrays is not supported");
  return t;
}

/// themis_array_position(s)(array, x, elem [, start])
void fn_array_position(sqlite3_context* ctx, int n, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    auto t = tree(a[0], elem);
    auto& items = one_dim(t, "searching for elements");
    auto x = elem_of(a[1], elem);
    int64_t start = 1;
    if (n > 3) {
      if (is_null(a[3]))
        throw sql_error("22004", "initial position must not be null");
      start = sqlite3_value_int64(a[3]);
    }
    bool all = sqlite3_user_data(ctx) != nullptr;
    json found = json::array();
    for (int64_t i = std::max<int64_t>(start, 1);
         i <= static_cast<int64_t>(items.size()); ++i) {
      auto& e = items[static_cast<size_t>(i - 1)];
      if ((x.is_null() && e.is_null()) || elem_eq(x, e)) {
        if (!all)
          return sqlite3_result_int64(ctx, i);
        found.push_back(i);
      }
    }
    if (!all)
      return sqlite3_result_null(ctx);
    result_tree(ctx, found);
  });
}

/// themis_array_append(array, x, elem) / themis_array_prepend(x, array,
/// elem): user data set for prepend.
void fn_array_add(sqlite3_context* ctx, int, sqlite3_value** a) {
  bool front = sqlite3_user_data(ctx) != nullptr;
  auto* arr = front ? a[1] : a[0];
  auto* x = front ? a[0] : a[1];
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    json t = is_null(arr) ? json::array() : tree(arr, elem);
    if (array_dims(t).size() > 1)
      throw sql_error("22000", "argument must be empty or one-dimensional "
                               "array");
    auto e = elem_of(x, elem);
    if (front)
      t.insert(t.begin(), std::move(e));
    else
      t.push_back(std::move(e));
    result_tree(ctx, t);
  });
}

void fn_array_cat(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]) && is_null(a[1]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    if (is_null(a[0]) || is_null(a[1]))
      return result_tree(ctx, tree(is_null(a[0]) ? a[1] : a[0], elem));
    auto l = tree(a[0], elem), r = tree(a[1], elem);
    auto dl = array_dims(l), dr = array_dims(r);
    if (dl.empty() || dr.empty())
      return result_tree(ctx, dl.empty() ? r : l);
    auto incompatible = [&](const char* detail) {
      throw sql_error("2202E", std::string("cannot concatenate incompatible "
                                           "arrays") +
                                 error_trailer("", "", "", "", detail));
    };
    json out = json::array();
    if (dl.size() == dr.size()) {
      if (!std::equal(dl.begin() + 1, dl.end(), dr.begin() + 1))
        incompatible("Arrays with differing element dimensions are not "
                     "compatible for concatenation.");
      for (auto& x : l)
        out.push_back(x);
      for (auto& x : r)
        out.push_back(x);
    } else if (dl.size() == dr.size() + 1) {
      if (!std::equal(dl.begin() + 1, dl.end(), dr.begin()))
        incompatible("Arrays with differing dimensions are not "
                     "compatible for concatenation.");
      out = l;
      out.push_back(r);
    } else if (dr.size() == dl.size() + 1) {
      if (!std::equal(dr.begin() + 1, dr.end(), dl.begin()))
        incompatible("Arrays with differing dimensions are not "
                     "compatible for concatenation.");
      out.push_back(l);
      for (auto& x : r)
        out.push_back(x);
    } else {
      incompatible("Arrays with differing dimensions are not compatible for "
                   "concatenation.");
    }
    if (array_dims(out).size() > static_cast<size_t>(max_array_dims))
      throw sql_error("54000", "number of array dimensions exceeds the "
                               "maximum allowed (6)");
    result_tree(ctx, out);
  });
}

void fn_array_remove(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    auto t = tree(a[0], elem);
    one_dim(t, "removing elements");
    auto x = elem_of(a[1], elem);
    json out = json::array();
    for (auto& e : t)
      if (!((x.is_null() && e.is_null()) || elem_eq(x, e)))
        out.push_back(e);
    result_tree(ctx, out);
  });
}

void replace_in(json& j, const json& from, const json& to) {
  if (j.is_array()) {
    for (auto& x : j) // at most 6 deep
      replace_in(x, from, to);
  } else if ((from.is_null() && j.is_null()) || elem_eq(from, j)) {
    j = to;
  }
}

void fn_array_replace(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[3]);
    auto t = tree(a[0], elem);
    replace_in(t, elem_of(a[1], elem), elem_of(a[2], elem));
    result_tree(ctx, t);
  });
}

/// themis_array_contains(a, b, elem): every element of b is in a (NULLs
/// never match); user data set: overlap (some element in both).
void fn_array_contains(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]) || is_null(a[1]))
    return sqlite3_result_null(ctx);
  bool overlap = sqlite3_user_data(ctx) != nullptr;
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    auto l = tree(a[0], elem), r = tree(a[1], elem);
    auto fl = flat(l), fr = flat(r);
    bool ok = !overlap;
    for (auto* y : fr) {
      bool found = false;
      for (auto* x : fl)
        if (elem_eq(*x, *y)) {
          found = true;
          break;
        }
      if (overlap && found) {
        ok = true;
        break;
      }
      if (!overlap && !found) {
        ok = false;
        break;
      }
    }
    sqlite3_result_int(ctx, ok ? 1 : 0);
  });
}

/// PostgreSQL's array ordering: elements in order (NULL after any value),
/// then the element count, the dimension count and the dimensions.
void fn_array_cmp(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]) || is_null(a[1]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[2]);
    auto l = tree(a[0], elem), r = tree(a[1], elem);
    auto fl = flat(l), fr = flat(r);
    if (array_dims(l).empty())
      fl.clear();
    if (array_dims(r).empty())
      fr.clear();
    int c = 0;
    for (size_t i = 0; !c && i < fl.size() && i < fr.size(); ++i) {
      bool nl = fl[i]->is_null(), nr = fr[i]->is_null();
      c = nl && nr ? 0 : nl ? 1 : nr ? -1 : elem_cmp(*fl[i], *fr[i]);
    }
    if (!c && fl.size() != fr.size())
      c = fl.size() < fr.size() ? -1 : 1;
    if (!c) {
      auto dl = array_dims(l), dr = array_dims(r);
      c = dl < dr ? -1 : dl > dr;
    }
    sqlite3_result_int(ctx, c);
  });
}

/// themis_arr_to_string(array, array_oid, sep [, null_string])
void fn_arr_to_string(sqlite3_context* ctx, int n, sqlite3_value** a) {
  if (is_null(a[0]) || is_null(a[2]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = element_type_of(oid_arg(a[1]));
    auto t = tree(a[0], elem);
    auto sep = arg(a[2]).s;
    bool null_text = n > 3 && !is_null(a[3]);
    std::string nt = null_text ? arg(a[3]).s : "";
    std::string out;
    bool first = true;
    if (!array_dims(t).empty())
      for (auto* x : flat(t)) {
        if (x->is_null() && !null_text)
          continue;
        if (!first)
          out += sep;
        first = false;
        out += x->is_null() ? nt : to_text(element_value(*x), elem);
      }
    result_text(ctx, out);
  });
}

/// themis_string_to_array(text, sep [, null_string])
void fn_string_to_array(sqlite3_context* ctx, int n, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto s = arg(a[0]).s;
    bool has_null = n > 2 && !is_null(a[2]);
    std::string nt = has_null ? arg(a[2]).s : "";
    json out = json::array();
    auto add = [&](std::string part) {
      if (has_null && part == nt)
        out.push_back(nullptr);
      else
        out.push_back(std::move(part));
    };
    if (s.empty())
      return result_tree(ctx, out);
    if (is_null(a[1])) { // each character (UTF-8) on its own
      for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        while (i + len < s.size() &&
               (static_cast<unsigned char>(s[i + len]) & 0xc0) == 0x80)
          ++len;
        add(s.substr(i, len));
        i += len;
      }
      return result_tree(ctx, out);
    }
    auto sep = arg(a[1]).s;
    if (sep.empty()) {
      add(s);
      return result_tree(ctx, out);
    }
    size_t pos = 0;
    for (auto hit = s.find(sep); hit != std::string::npos;
         hit = s.find(sep, pos)) {
      add(s.substr(pos, hit - pos));
      pos = hit + sep.size();
    }
    add(s.substr(pos));
    result_tree(ctx, out);
  });
}

/// themis_array_agg(x): the values as a JSON array of their SQLite forms
/// (themis_array_fix() types them); NULL over no rows.
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

void add(sqlite3* db, const char* name, int n,
         void (*f)(sqlite3_context*, int, sqlite3_value**),
         void* user = nullptr) {
  sqlite3_create_function_v2(db, name, n, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                             user, f, nullptr, nullptr, nullptr);
}

} // namespace

void register_array_functions(sqlite3* db) {
  static int flag = 1;
  register_unnest_module(db);
  add(db, "themis_array", -1, fn_array);
  add(db, "themis_array_json", 2, fn_array_json);
  add(db, "themis_array_text", 2, fn_array_text);
  add(db, "themis_array_sub", -1, fn_array_sub);
  add(db, "themis_array_slice", -1, fn_array_slice);
  add(db, "themis_array_dim", 3, fn_array_dim);
  add(db, "themis_cardinality", 1, fn_cardinality);
  add(db, "themis_array_ndims", 1, fn_array_ndims);
  add(db, "themis_array_dims", 1, fn_array_dims);
  add(db, "themis_array_position", 3, fn_array_position);
  add(db, "themis_array_position", 4, fn_array_position);
  add(db, "themis_array_positions", 3, fn_array_position, &flag);
  add(db, "themis_array_append", 3, fn_array_add);
  add(db, "themis_array_prepend", 3, fn_array_add, &flag);
  add(db, "themis_array_cat", 3, fn_array_cat);
  add(db, "themis_array_remove", 3, fn_array_remove);
  add(db, "themis_array_replace", 4, fn_array_replace);
  add(db, "themis_array_contains", 3, fn_array_contains);
  add(db, "themis_array_overlap", 3, fn_array_contains, &flag);
  add(db, "themis_array_cmp", 3, fn_array_cmp);
  add(db, "themis_arr_to_string", 3, fn_arr_to_string);
  add(db, "themis_arr_to_string", 4, fn_arr_to_string);
  add(db, "themis_string_to_array", 2, fn_string_to_array);
  add(db, "themis_string_to_array", 3, fn_string_to_array);
  add(db, "themis_array_fix", 3, fn_array_fix);
  sqlite3_create_function_v2(db, "themis_array_agg", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             nullptr, agg_step, agg_final, nullptr);
}

} // namespace themis::sql
