#include "handlers/graphql_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sqlite_db.hpp"
#include "themis/principal.hpp"

namespace themis::gql {

namespace {

bool name_char(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

/// Type names the fixed part of the schema uses (graphql_schema.cpp).
const std::set<std::string>& builtin_types() {
  static const std::set<std::string> s = {
    "Query",          "Mutation",  "Subscription",
    "String",         "Int",       "Float",
    "Boolean",        "ID",        "JSON",
    "PageInfo",       "SortInput", "SortDirection",
    "CollectionInfo", "Job",       "ChangeEvent",
    "DeleteResult"};
  return s;
}

/// Root fields of the fixed part of the schema.
const std::set<std::string>& builtin_fields() {
  static const std::set<std::string> s = {
    "collections", "aql",       "job",     "jobs",
    "submitJob",   "cancelJob", "changes", "jobProgress"};
  return s;
}

std::string upper_first(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z')
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z')
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

/// Every name a collection type claims, so a suffix can make them all free.
std::vector<std::string> claims(const std::string& type,
                                const std::string& field) {
  return {
    type,           type + "Connection", type + "Edge",   field,
    field + "List", "insert" + type,     "update" + type, "replace" + type,
    "delete" + type};
}

} // namespace

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 128 || (s.size() >= 2 && s.substr(0, 2) == "__"))
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0))
      return false;
  return true;
}

std::string sanitize_name(std::string_view raw) {
  std::string out;
  for (char c : raw.substr(0, 100))
    out.push_back(name_char(c, false) ? c : '_');
  if (out.empty() || !name_char(out[0], true))
    out.insert(0, "c_");
  if (out.size() >= 2 && out[0] == '_' && out[1] == '_')
    out.insert(0, "c");
  return out;
}

std::string scalar_of_oid(uint32_t oid) {
  namespace o = sql::oid;
  switch (oid) {
    case o::int2:
    case o::int4:
      return "Int";
    case o::int8:
    case o::float4:
    case o::float8:
    case o::numeric:
      return "Float";
    case o::boolean:
      return "Boolean";
    case o::text:
    case o::varchar:
    case o::bpchar:
    case o::name:
    case o::char_t:
    case o::uuid:
    case o::date:
    case o::time:
    case o::timestamp:
    case o::timestamptz:
      return "String";
    default:
      return "JSON";
  }
}

catalog map_catalog(std::vector<raw_collection> raw) {
  std::sort(raw.begin(), raw.end(),
            [](auto& a, auto& b) { return a.collection < b.collection; });
  std::set<std::string> used(builtin_types());
  used.insert(builtin_fields().begin(), builtin_fields().end());
  catalog out;
  for (auto& r : raw) {
    auto base = sanitize_name(r.collection);
    std::string type, field;
    for (int n = 1;; ++n) {
      auto suffix = n == 1 ? std::string() : "_" + std::to_string(n);
      type = upper_first(base) + suffix;
      field = lower_first(base) + suffix;
      auto names = claims(type, field);
      if (std::none_of(names.begin(), names.end(),
                       [&](auto& x) { return used.count(x) > 0; })) {
        used.insert(names.begin(), names.end());
        break;
      }
    }
    collection_type t{r.collection, r.stored, type, field, r.typed, {}};
    if (r.typed) {
      std::set<std::string> taken = {"_key", "_rev", "_id"};
      for (auto& c : r.columns) {
        if (c.name == "_key" || c.name == "_rev" || c.name == "_id")
          continue;
        auto name = sanitize_name(c.name);
        for (int n = 2; taken.count(name); ++n)
          name = sanitize_name(c.name) + "_" + std::to_string(n);
        taken.insert(name);
        t.fields.push_back(
          {name, c.name, scalar_of_oid(c.type_oid), c.not_null});
      }
    }
    out.types.push_back(std::move(t));
  }
  return out;
}

catalog load_catalog(const std::string& db_path, const std::string& tenant) {
  engine::sqlite_db db(db_path, true, 5000);
  std::vector<raw_collection> raw;
  auto s =
    db.prepare("SELECT c.name, t.def FROM collections c LEFT JOIN sql_tables t "
               "ON t.name = c.name");
  while (s.step()) {
    std::string stored(s.text(0));
    if (sql::is_temp_table(stored))
      continue;
    auto shown = visible_collection(tenant, stored, false);
    if (shown.empty())
      continue;
    raw_collection r{shown, stored, false, {}};
    if (!s.is_null(1)) {
      auto def = sql::table_from_json(stored, std::string(s.text(1)));
      r.typed = def.typed;
      for (auto& c : def.columns)
        r.columns.push_back({c.name, c.type_oid, c.not_null});
    }
    raw.push_back(std::move(r));
  }
  return map_catalog(std::move(raw));
}

} // namespace themis::gql
