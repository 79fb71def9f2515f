/// PostgreSQL arrays: type table, text input (array_in) into the JSON tree,
/// the tree's checks (rectangular, at most 6 dimensions) and text output
/// (array_out). The binary forms are in pg_array_binary.cpp.

#include "engine/sql/pg_array.hpp"

#include <cctype>
#include <vector>

#include "engine/json_bounded.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions.hpp"

namespace themis::sql {

using json = nlohmann::json;

using namespace array_detail;

namespace {

struct array_type {
  uint32_t elem, arr;
  const char* name;       ///< format_type
  const char* short_name; ///< pg_type.typname
};

constexpr array_type types[] = {
  {oid::boolean, oid::bool_array, "boolean[]", "_bool"},
  {oid::bytea, oid::bytea_array, "bytea[]", "_bytea"},
  {oid::char_t, oid::char_array, "\"char\"[]", "_char"},
  {oid::name, oid::name_array, "name[]", "_name"},
  {oid::int2, oid::int2_array, "smallint[]", "_int2"},
  {oid::int4, oid::int4_array, "integer[]", "_int4"},
  {oid::int8, oid::int8_array, "bigint[]", "_int8"},
  {oid::regproc, oid::regproc_array, "regproc[]", "_regproc"},
  {oid::text, oid::text_array, "text[]", "_text"},
  {oid::oid_t, oid::oid_array, "oid[]", "_oid"},
  {oid::json, oid::json_array, "json[]", "_json"},
  {oid::float4, oid::float4_array, "real[]", "_float4"},
  {oid::float8, oid::float8_array, "double precision[]", "_float8"},
  {oid::bpchar, oid::bpchar_array, "character[]", "_bpchar"},
  {oid::varchar, oid::varchar_array, "character varying[]", "_varchar"},
  {oid::date, oid::date_array, "date[]", "_date"},
  {oid::time, oid::time_array, "time without time zone[]", "_time"},
  {oid::timestamp, oid::timestamp_array, "timestamp without time zone[]",
   "_timestamp"},
  {oid::timestamptz, oid::timestamptz_array, "timestamp with time zone[]",
   "_timestamptz"},
  {oid::numeric, oid::numeric_array, "numeric[]", "_numeric"},
  {oid::uuid, oid::uuid_array, "uuid[]", "_uuid"},
  {oid::jsonb, oid::jsonb_array, "jsonb[]", "_jsonb"},
  {oid::regclass, oid::regclass_array, "regclass[]", "_regclass"},
  {oid::regtype, oid::regtype_array, "regtype[]", "_regtype"},
  // not arrays by name, but arrays of their element inside
  {oid::int2, oid::int2vector, "int2vector", "int2vector"},
  {oid::oid_t, oid::oidvector, "oidvector", "oidvector"},
};

/// Checks a JSON tree is a rectangular array of at most 6 dimensions and
/// converts every element to its stored form for `elem`. `depth` is at
/// most 7, so the recursion is bounded.
json normalize(const json& j, uint32_t elem, size_t depth,
               std::vector<int64_t>& dims, int& leaf_depth) {
  if (depth > static_cast<size_t>(max_array_dims))
    too_many_dims(depth);
  auto n = static_cast<int64_t>(j.size());
  if (dims.size() < depth)
    dims.push_back(n);
  else if (dims[depth - 1] != n)
    throw sql_error("2202E", "multidimensional arrays must have array "
                             "expressions with matching dimensions");
  json out = json::array();
  for (auto& x : j) {
    if (x.is_array()) {
      if (leaf_depth >= 0 && leaf_depth <= static_cast<int>(depth))
        throw sql_error("2202E", "multidimensional arrays must have array "
                                 "expressions with matching dimensions");
      out.push_back(normalize(x, elem, depth + 1, dims, leaf_depth));
    } else {
      if (leaf_depth >= 0 && leaf_depth != static_cast<int>(depth))
        throw sql_error("2202E", "multidimensional arrays must have array "
                                 "expressions with matching dimensions");
      leaf_depth = static_cast<int>(depth);
      // element type 0 (a function that does not know it): the stored
      // JSON as it is — coercing to "unknown" made numbers text, so
      // ('{1}'::int[])[1] = 1 was false (Django's get_constraints)
      out.push_back(x.is_null() ? json(nullptr)
                    : elem == 0
                      ? x
                      : element_json(coerce(element_value(x), elem), elem));
    }
  }
  return out;
}

bool needs_quotes(const std::string& t) {
  if (t.empty())
    return true;
  if (t.size() == 4) {
    std::string u = t;
    for (auto& c : u)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == "NULL")
      return true;
  }
  for (char c : t)
    if (c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || space(c))
      return true;
  return false;
}

void out_text(const json& j, uint32_t elem, std::string& out) {
  if (j.is_array()) {
    out.push_back('{');
    bool first = true;
    for (auto& x : j) {
      if (!first)
        out.push_back(',');
      first = false;
      out_text(x, elem, out); // depth ≤ 6: array_tree checked it
    }
    out.push_back('}');
    return;
  }
  if (j.is_null()) {
    out += "NULL";
    return;
  }
  auto t = to_text(element_value(j), elem);
  if (!needs_quotes(t)) {
    out += t;
    return;
  }
  out.push_back('"');
  for (char c : t) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

} // namespace

namespace array_detail {

void too_many_dims(size_t n) {
  throw sql_error("54000", "number of array dimensions (" + std::to_string(n) +
                             ") exceeds the maximum allowed (" +
                             std::to_string(max_array_dims) + ")");
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

} // namespace array_detail

const std::vector<uint32_t>& array_types() {
  static const std::vector<uint32_t> all = [] {
    std::vector<uint32_t> v;
    for (auto& t : types)
      v.push_back(t.arr);
    return v;
  }();
  return all;
}

uint32_t array_type_of(uint32_t elem) {
  for (auto& t : types)
    if (t.elem == elem)
      return t.arr;
  return 0;
}

uint32_t element_type_of(uint32_t arr) {
  for (auto& t : types)
    if (t.arr == arr)
      return t.elem;
  return 0;
}

const char* array_type_name(uint32_t arr) {
  for (auto& t : types)
    if (t.arr == arr)
      return t.name;
  return "unknown";
}

const char* array_short_name(uint32_t arr) {
  for (auto& t : types)
    if (t.arr == arr)
      return t.short_name;
  return "unknown";
}

uint32_t array_type_by_short_name(std::string_view name) {
  for (auto& t : types)
    if (name == t.short_name)
      return t.arr;
  return 0;
}

json element_json(const value& v, uint32_t elem) {
  switch (v.k) {
    case value::kind::null:
      return nullptr;
    case value::kind::integer:
      if (elem == oid::boolean)
        return v.i != 0;
      return v.i;
    case value::kind::real:
      return v.d;
    case value::kind::blob:
      return to_text(v, oid::bytea);
    default:
      return v.s;
  }
}

value element_value(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return {};
    case json::value_t::boolean:
      return value::of(j.get<bool>() ? 1 : 0);
    case json::value_t::number_integer:
      return value::of(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX)
               ? value::of_real(static_cast<double>(u))
               : value::of(static_cast<int64_t>(u));
    }
    case json::value_t::number_float:
      return value::of_real(j.get<double>());
    case json::value_t::string:
      return value::of_text(j.get<std::string>());
    default:
      return value::of_text(
        j.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

std::vector<int64_t> array_dims(const json& tree) {
  std::vector<int64_t> dims;
  const json* cur = &tree;
  while (cur->is_array() && !cur->empty() &&
         dims.size() <= static_cast<size_t>(max_array_dims)) {
    dims.push_back(static_cast<int64_t>(cur->size()));
    cur = &(*cur)[0];
  }
  if (dims.empty() && tree.is_array())
    return {};
  return dims;
}

json array_tree(const value& v, uint32_t elem) {
  std::string t = v.k == value::kind::text ? v.s : to_text(v, oid::text);
  size_t k = 0;
  while (k < t.size() && space(t[k]))
    ++k;
  if (k < t.size() && t[k] == '[') {
    json j;
    if (engine::parse_untrusted_json(t, j) == engine::json_parse_status::ok &&
        j.is_array()) {
      std::vector<int64_t> dims;
      int leaf = -1;
      auto out = normalize(j, elem, 1, dims, leaf);
      for (auto d : dims)
        if (d == 0) // an empty sub-array: the array is empty
          return json::array();
      return out;
    }
  }
  if (elem == oid::int2 || elem == oid::oid_t) { // int2vector/oidvector text
    bool vec = !t.empty() && t.find('{') == std::string::npos;
    if (vec) {
      json out = json::array();
      size_t i = 0;
      while (i < t.size()) {
        while (i < t.size() && space(t[i]))
          ++i;
        size_t s = i;
        while (i < t.size() && !space(t[i]))
          ++i;
        if (i > s)
          out.push_back(element_json(
            coerce(value::of_text(t.substr(s, i - s)), elem), elem));
      }
      return out;
    }
  }
  return parse_array_literal(t, elem);
}

std::string array_json(const json& tree) {
  return tree.dump(-1, ' ', false, json::error_handler_t::replace);
}

value array_coerce(const value& v, uint32_t arr) {
  if (v.is_null())
    return v;
  return value::of_text(array_json(array_tree(v, element_type_of(arr))));
}

std::string array_to_text(const value& v, uint32_t arr) {
  auto elem = element_type_of(arr);
  auto tree = array_tree(v, elem);
  std::string out;
  if (arr == oid::int2vector || arr == oid::oidvector) {
    for (auto& x : tree) {
      if (!out.empty())
        out.push_back(' ');
      out += to_text(element_value(x), elem);
    }
    return out;
  }
  out_text(tree, elem, out);
  return out;
}

} // namespace themis::sql
