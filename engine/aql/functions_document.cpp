/// Document (object) functions.

#include <set>
#include <unordered_set>

#include "engine/aql/functions_impl.hpp"

namespace themis::aql::fn {

namespace {

bool is_internal(const std::string& key) {
  return !key.empty() && key.front() == '_';
}

json has(args_t& a) {
  if (!a[0].is_object())
    return false;
  return a[0].contains(to_string(a[1]));
}

/// ArangoDB's extractKeys: names may be strings, numbers (by their text) or
/// arrays of strings, mixed freely across the arguments; anything else is
/// ignored.
std::unordered_set<std::string> attribute_names(const args_t& a) {
  std::unordered_set<std::string> names;
  for (size_t i = 1; i < a.size(); ++i) {
    const json& v = a[i];
    if (v.is_string() || v.is_number()) {
      names.insert(to_string(v));
    } else if (v.is_array()) {
      for (const auto& n : v) {
        if (n.is_string())
          names.insert(n.get<std::string>());
      }
    }
  }
  return names;
}

template <bool keep>
json keep_or_unset(args_t& a) {
  if (!a[0].is_object())
    return nullptr;
  auto names = attribute_names(a);
  json out = json::object();
  for (auto& [k, v] : a[0].items()) {
    if (names.contains(k) == keep)
      out[k] = std::move(v);
  }
  return out;
}

json merge(args_t& a) {
  // MERGE([a, b, c]) is MERGE(a, b, c)
  if (a.size() == 1 && a[0].is_array()) {
    json out = json::object();
    for (auto& doc : a[0]) {
      if (!doc.is_object())
        return nullptr;
      for (auto& [k, v] : doc.items())
        out[k] = std::move(v);
    }
    return out;
  }
  for (const auto& doc : a) {
    if (!doc.is_object())
      return nullptr;
  }
  json out = std::move(a[0]);
  for (size_t i = 1; i < a.size(); ++i) {
    // shallow: later documents win, nested objects are replaced whole, and
    // null values are kept rather than removing the attribute
    for (auto& [k, v] : a[i].items())
      out[k] = std::move(v);
  }
  return out;
}

json attributes(args_t& a) {
  if (!a[0].is_object())
    return nullptr;
  bool remove_internal = arg_bool(a, 1, false);
  // the third argument (sort) needs no work: objects keep their keys sorted
  json out = json::array();
  for (const auto& [k, v] : a[0].items()) {
    if (!(remove_internal && is_internal(k)))
      out.push_back(k);
  }
  return out;
}

json values(args_t& a) {
  if (!a[0].is_object())
    return nullptr;
  bool remove_internal = arg_bool(a, 1, false);
  json out = json::array();
  for (auto& [k, v] : a[0].items()) {
    if (!(remove_internal && is_internal(k)))
      out.push_back(std::move(v));
  }
  return out;
}

json zip(args_t& a) {
  if (!a[0].is_array() || !a[1].is_array() || a[0].size() != a[1].size())
    return nullptr;
  json out = json::object();
  for (size_t i = 0; i < a[0].size(); ++i) {
    std::string key = to_string(a[0][i]);
    // the first occurrence of a key wins, as in ArangoDB
    if (!out.contains(key))
      out[key] = std::move(a[1][i]);
  }
  return out;
}

constexpr entry entries[] = {
  {"HAS", {2, 2}, has},
  {"KEEP", {2, variadic}, keep_or_unset<true>},
  {"UNSET", {2, variadic}, keep_or_unset<false>},
  {"MERGE", {1, variadic}, merge},
  {"ATTRIBUTES", {1, 3}, attributes},
  {"VALUES", {1, 2}, values},
  {"ZIP", {2, 2}, zip},
};

} // namespace

std::span<const entry> document_functions() {
  return entries;
}

} // namespace themis::aql::fn
