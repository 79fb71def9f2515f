/// Array functions. A non-array where an array is required gives null
/// (ArangoDB: "array expected" warning), never an error.

#include <algorithm>
#include <numeric>

#include "engine/aql/functions_impl.hpp"

namespace themis::aql::fn {

namespace {

using ptrs = std::vector<const json*>;

/// keep[i] is true for the first element of each group of AQL-equal
/// elements. Sorting indices (stable, so the earliest index leads its
/// group) makes this O(n log n) where pairwise equality would be O(n^2).
std::vector<bool> first_occurrences(const ptrs& items) {
  std::vector<size_t> idx(items.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
    return compare(*items[x], *items[y]) < 0;
  });
  std::vector<bool> keep(items.size(), false);
  for (size_t k = 0; k < idx.size(); ++k) {
    if (k == 0 || compare(*items[idx[k - 1]], *items[idx[k]]) != 0)
      keep[idx[k]] = true;
  }
  return keep;
}

json distinct(const ptrs& items) {
  auto keep = first_occurrences(items);
  json out = json::array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (keep[i])
      out.push_back(*items[i]);
  }
  return out;
}

void add_elements(ptrs& out, const json& arr) {
  for (const auto& v : arr)
    out.push_back(&v);
}

ptrs sorted_elements(const json& arr) {
  ptrs out;
  add_elements(out, arr);
  std::sort(out.begin(), out.end(), json_less{});
  return out;
}

bool all_arrays(const args_t& a) {
  return std::all_of(a.begin(), a.end(),
                     [](const json& v) { return v.is_array(); });
}

json unique(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  ptrs items;
  add_elements(items, a[0]);
  return distinct(items);
}

json sorted(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  json out = std::move(a[0]);
  std::stable_sort(out.begin(), out.end(), [](const json& x, const json& y) {
    return compare(x, y) < 0;
  });
  return out;
}

json sorted_unique(args_t& a) {
  json out = sorted(a);
  if (out.is_null())
    return out;
  auto end =
    std::unique(out.begin(), out.end(), [](const json& x, const json& y) {
      return compare(x, y) == 0;
    });
  out.erase(end, out.end());
  return out;
}

void flatten_into(json& out, const json& arr, size_t depth) {
  for (const auto& v : arr) {
    if (v.is_array() && depth > 0)
      flatten_into(out, v, depth - 1);
    else
      out.push_back(v);
  }
}

json flatten(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  size_t depth = 1;
  if (a.size() > 1 &&
      (a[1].is_number() || a[1].is_string() || a[1].is_boolean())) {
    double d = to_number(a[1]);
    // clamp before converting: a double beyond size_t is undefined behaviour
    depth = d < 1 ? 1 : static_cast<size_t>(std::min(d, 1e6));
  }
  json out = json::array();
  flatten_into(out, a[0], depth);
  return out;
}

json first(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  return a[0].empty() ? json() : std::move(a[0].front());
}

json last(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  return a[0].empty() ? json() : std::move(a[0].back());
}

json nth(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  int64_t pos = to_int64(a[1]);
  if (pos < 0 || static_cast<uint64_t>(pos) >= a[0].size())
    return nullptr;
  return std::move(a[0][static_cast<size_t>(pos)]);
}

json push(args_t& a) {
  if (a[0].is_null())
    return json::array({std::move(a[1])});
  if (!a[0].is_array())
    return nullptr;
  json out = std::move(a[0]);
  if (!arg_bool(a, 2, false) || find_in(out, a[1]) == SIZE_MAX)
    out.push_back(std::move(a[1]));
  return out;
}

json append(args_t& a) {
  json& list = a[0];
  json& values = a[1];
  // ArangoDB's order of checks, including APPEND(null, x) → x
  if (values.is_null() || (values.is_array() && values.empty()))
    return std::move(list);
  if (list.is_null())
    return std::move(values);
  if (!list.is_array())
    return nullptr;
  if (!arg_bool(a, 2, false)) {
    json out = std::move(list);
    if (values.is_array()) {
      for (auto& v : values)
        out.push_back(std::move(v));
    } else {
      out.push_back(std::move(values));
    }
    return out;
  }
  // unique: duplicates already inside `list` go too, as in ArangoDB
  ptrs items;
  add_elements(items, list);
  if (values.is_array())
    add_elements(items, values);
  else
    items.push_back(&values);
  return distinct(items);
}

json union_all(args_t& a) {
  if (!all_arrays(a))
    return nullptr;
  json out = json::array();
  for (auto& arr : a) {
    for (auto& v : arr)
      out.push_back(std::move(v));
  }
  return out;
}

json union_distinct(args_t& a) {
  if (!all_arrays(a))
    return nullptr;
  ptrs items;
  for (const auto& arr : a)
    add_elements(items, arr);
  return distinct(items);
}

json intersection(args_t& a) {
  if (!all_arrays(a))
    return nullptr;
  std::vector<ptrs> others;
  for (size_t i = 1; i < a.size(); ++i)
    others.push_back(sorted_elements(a[i]));
  ptrs items;
  for (const auto& v : a[0]) {
    bool everywhere =
      std::all_of(others.begin(), others.end(), [&](const ptrs& o) {
        return std::binary_search(o.begin(), o.end(), &v, json_less{});
      });
    if (everywhere)
      items.push_back(&v);
  }
  return distinct(items);
}

json minus(args_t& a) {
  if (!all_arrays(a))
    return nullptr;
  ptrs removed;
  for (size_t i = 1; i < a.size(); ++i)
    add_elements(removed, a[i]);
  std::sort(removed.begin(), removed.end(), json_less{});
  ptrs items;
  for (const auto& v : a[0]) {
    if (!std::binary_search(removed.begin(), removed.end(), &v, json_less{}))
      items.push_back(&v);
  }
  return distinct(items);
}

json position(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  size_t pos = find_in(a[0], a[1]);
  if (arg_bool(a, 2, false))
    return pos == SIZE_MAX ? int64_t{-1} : static_cast<int64_t>(pos);
  return pos != SIZE_MAX;
}

json slice(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  auto n = static_cast<int64_t>(a[0].size());
  int64_t from = to_int64(a[1]);
  if (from < 0)
    from = std::max<int64_t>(0, n + from);
  from = std::min(from, n);
  int64_t to = n;
  const json& len = arg(a, 2);
  if (!len.is_null()) {
    int64_t l = to_int64(len);
    // a negative length counts from the end, like ArangoDB
    to = l >= 0 ? from + std::min(l, n) : std::max<int64_t>(0, n + l);
  }
  to = std::clamp(to, from, n);
  json out = json::array();
  for (int64_t i = from; i < to; ++i)
    out.push_back(std::move(a[0][static_cast<size_t>(i)]));
  return out;
}

constexpr entry entries[] = {
  {"UNIQUE", {1, 1}, unique},
  {"SORTED", {1, 1}, sorted},
  {"SORTED_UNIQUE", {1, 1}, sorted_unique},
  {"FLATTEN", {1, 2}, flatten},
  {"FIRST", {1, 1}, first},
  {"LAST", {1, 1}, last},
  {"NTH", {2, 2}, nth},
  {"PUSH", {2, 3}, push},
  {"APPEND", {2, 3}, append},
  {"UNION", {1, variadic}, union_all},
  {"UNION_DISTINCT", {1, variadic}, union_distinct},
  {"INTERSECTION", {1, variadic}, intersection},
  {"MINUS", {1, variadic}, minus},
  {"POSITION", {2, 3}, position},
  {"SLICE", {2, 3}, slice},
};

} // namespace

std::span<const entry> array_functions() {
  return entries;
}

} // namespace themis::aql::fn
