/// SQLite functions behind the array operators and element functions:
/// array_position(s), append/prepend/cat/remove/replace, @> <@ &&, the
/// array ordering, array_to_string and string_to_array.

#include <algorithm>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_functions_array_internal.hpp"

namespace themis::sql::array_fn {

namespace {

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
      if ((x.is_null() && e.is_null()) || elem_eq(x, e, elem)) {
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
      if (!((x.is_null() && e.is_null()) || elem_eq(x, e, elem)))
        out.push_back(e);
    result_tree(ctx, out);
  });
}

void replace_in(json& j, const json& from, const json& to, uint32_t elem) {
  if (j.is_array()) {
    for (auto& x : j) // at most 6 deep
      replace_in(x, from, to, elem);
  } else if ((from.is_null() && j.is_null()) || elem_eq(from, j, elem)) {
    j = to;
  }
}

void fn_array_replace(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (is_null(a[0]))
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto elem = oid_arg(a[3]);
    auto t = tree(a[0], elem);
    replace_in(t, elem_of(a[1], elem), elem_of(a[2], elem), elem);
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
        if (elem_eq(*x, *y, elem)) {
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
      c = nl && nr ? 0 : nl ? 1 : nr ? -1 : elem_cmp(*fl[i], *fr[i], elem);
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
} // namespace

void register_array_ops(sqlite3* db) {
  static int flag = 1;
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
}

} // namespace themis::sql::array_fn
