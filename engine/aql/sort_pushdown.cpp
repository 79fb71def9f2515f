#include "engine/aql/sort_pushdown.hpp"

#include <algorithm>
#include <array>

namespace themis::aql {

namespace {

bool indexed_path(const std::string& path,
                  const std::vector<engine::doc_index_def>& defs,
                  const std::vector<engine::side_index>& side) {
  for (auto& d : defs)
    if (!d.fields.empty() && engine::field_json_path(d.fields[0]) == path)
      return true;
  return std::any_of(side.begin(), side.end(),
                     [&](auto& x) { return x.json_path == path; });
}

/// The type classes in AQL's ascending order: the condition selecting
/// each (over the indexed value `v` and the document's JSON type `t`),
/// whether it is ordered by the value, and whether it is sorted in memory.
struct type_class {
  const char* where;
  bool by_value;
  bool in_memory;
};

constexpr std::array<type_class, 7> classes{{
  // one value each: key order in both directions, straight from the index.
  // Booleans are stored as 0 and 1: the numbers 0 and 1 share their index
  // entries. Their JSON type is checked on the rows (ordered_segment::
  // boolean), since any further term makes SQLite sort the run by key.
  {"{v} IS NULL", false, false},
  {"{v} = 0", false, false},
  {"{v} = 1", false, false},
  // every number sorts before every text; NULLs are skipped by the range
  {"{v} < '' AND {t} IN ('integer','real')", true, false},
  // BINARY collation is memcmp, as AQL's string comparison
  {"{v} >= '' AND {t} = 'text'", true, false},
  {"{v} >= '[' AND {v} < '\\' AND {t} = 'array'", false, true},
  {"{v} >= '{' AND {v} < '|' AND {t} = 'object'", false, true},
}};

std::string fill(std::string pattern, const std::string& v,
                 const std::string& t) {
  for (auto [from, to] :
       {std::pair{std::string("{v}"), v}, std::pair{std::string("{t}"), t}})
    for (auto at = pattern.find(from); at != std::string::npos;
         at = pattern.find(from, at + to.size()))
      pattern.replace(at, from.size(), to);
  return pattern;
}

} // namespace

std::optional<order_index>
choose_order_index(const sort_order& s,
                   const std::vector<pushed_condition>& conds,
                   const std::vector<engine::doc_index_def>& defs,
                   const std::vector<engine::side_index>& side) {
  for (auto& c : conds)
    if (c.is_key ||
        (c.json_path != s.json_path && indexed_path(c.json_path, defs, side)))
      return std::nullopt;
  if (s.json_path == "$._key")
    return order_index{"primary", "", "", true};
  for (auto& d : defs)
    if (d.type == engine::doc_index_type::persistent && !d.background &&
        !d.sparse && d.state == "ready" && !d.fields.empty() &&
        engine::field_json_path(d.fields[0]) == s.json_path)
      return order_index{
        d.name, engine::doc_index_sqlite_name(d.collection, d.name), "", false};
  for (auto& x : side)
    if (!x.sparse && x.json_path == s.json_path)
      return order_index{x.name, x.table + ":v", x.table, false};
  return std::nullopt;
}

std::vector<ordered_segment> ordered_segments(const std::string& select,
                                              const std::string& collection,
                                              const std::string& where,
                                              const sort_order& s,
                                              const order_index& ix) {
  auto coll = engine::quote_sql_literal(collection);
  auto dir = s.descending ? " DESC" : "";
  if (ix.primary)
    return {{select + " FROM documents WHERE collection = " + coll + where +
               " ORDER BY key" + dir,
             false}};
  auto type = "json_type(doc,'" + s.json_path + "')";
  std::string from, value, key;
  if (ix.side_table.empty()) {
    from = " FROM documents INDEXED BY " +
           engine::quote_sql_ident(ix.sqlite_index) +
           " WHERE collection = " + coll;
    value = "json_extract(doc,'" + s.json_path + "')";
    key = "key";
  } else {
    // the side table's columns renamed: the pushed conditions name the
    // document's `key` unqualified
    from = " FROM (SELECT key AS k_, v0 AS v_ FROM " +
           engine::quote_sql_ident(ix.side_table) + " INDEXED BY " +
           engine::quote_sql_ident(ix.sqlite_index) +
           ") AS s_ JOIN documents ON collection = " + coll +
           " AND key = s_.k_ WHERE 1";
    value = "s_.v_";
    key = "s_.k_";
  }
  std::vector<ordered_segment> out;
  for (size_t n = 0; n < classes.size(); ++n) {
    auto& c = classes[n];
    auto order = c.by_value ? value + dir + ", " + key + dir : key;
    out.push_back({select + from + where + " AND " +
                     fill(c.where, value, type) + " ORDER BY " + order,
                   c.in_memory, c.by_value && s.descending});
    if (n == 1 || n == 2)
      out.back().boolean = n == 2;
  }
  if (s.descending)
    std::reverse(out.begin(), out.end());
  return out;
}

} // namespace themis::aql
