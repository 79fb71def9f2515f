#include "engine/sql/sql_catalog.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/pg_types.hpp"
#include "engine/store_schema.hpp"

namespace themis::sql {

using json = nlohmann::json;

int table_def::find(const std::string& column) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == column)
      return static_cast<int>(i);
  return -1;
}

std::vector<int> table_def::primary_key() const {
  for (auto& i : indexes)
    if (i.primary)
      return i.columns;
  return {};
}

std::string quote_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string json_path(const std::string& field) {
  std::string p = "$.\"";
  for (char c : field) {
    if (c == '"' || c == '\\')
      p.push_back('\\');
    p.push_back(c);
  }
  p.push_back('"');
  return quote_literal(p);
}

std::string column_expr(const table_def& t, const column_def& c,
                        const std::string& row) {
  if (!t.typed) {
    // row is "doc" or "<alias>.doc": the sibling columns share its prefix
    auto prefix = row.substr(0, row.size() - 3);
    if (c.name == "_key")
      return prefix + "key";
    if (c.name == "_rev")
      return prefix + "rev";
    return row;
  }
  auto a = affinity_of(c.type_oid);
  if (a == affinity::json) // a JSON null (or absent field) is SQL NULL
    return "NULLIF(" + row + " -> " + json_path(c.name) + ", 'null')";
  auto x = "json_extract(" + row + ", " + json_path(c.name) + ")";
  if (a == affinity::real || a == affinity::numeric)
    // SQLite holds no NaN and JSON no infinities: they are stored as the
    // strings PostgreSQL spells them with (pg_types.cpp coerce)
    return "CASE " + x + " WHEN 'NaN' THEN 'NaN' WHEN 'Infinity' THEN 9e999 " +
           "WHEN '-Infinity' THEN -9e999 ELSE CAST(" + x + " AS " +
           cast_name(a) + ") END";
  return "CAST(" + x + " AS " + cast_name(a) + ")";
}

std::string sqlite_index_name(const std::string& table,
                              const std::string& idx) {
  return "sqlidx:" + table + ":" + idx;
}

std::string create_index_sql(const table_def& t, const index_def& idx) {
  std::string cols;
  for (auto i : idx.columns) {
    if (!cols.empty())
      cols += ", ";
    cols += column_expr(t, t.columns[static_cast<size_t>(i)]);
  }
  return std::string("CREATE ") + (idx.unique ? "UNIQUE " : "") + "INDEX " +
         quote_ident(sqlite_index_name(t.name, idx.name)) + " ON documents(" +
         cols + ") WHERE collection = " + quote_literal(t.name);
}

std::string to_json(const table_def& t) {
  json j;
  j["columns"] = json::array();
  for (auto& c : t.columns)
    j["columns"].push_back({{"name", c.name},
                            {"type", c.type_oid},
                            {"typmod", c.typmod},
                            {"not_null", c.not_null},
                            {"serial", c.serial},
                            {"default_sql", c.default_sql},
                            {"default_text", c.default_text}});
  j["indexes"] = json::array();
  for (auto& i : t.indexes)
    j["indexes"].push_back({{"name", i.name},
                            {"columns", i.columns},
                            {"unique", i.unique},
                            {"primary", i.primary}});
  return j.dump();
}

uint32_t table_oid(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name)
    h = (h ^ c) * 16777619u;
  return 16384 + h % 1000000000u;
}

table_def table_from_json(const std::string& name, const std::string& text) {
  table_def t;
  t.name = name;
  t.oid = table_oid(name);
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return t;
  for (auto& c : j.value("columns", json::array())) {
    column_def d;
    d.name = c.value("name", "");
    d.type_oid = c.value("type", 25u);
    d.typmod = c.value("typmod", -1);
    d.not_null = c.value("not_null", false);
    d.serial = c.value("serial", false);
    d.default_sql = c.value("default_sql", "");
    d.default_text = c.value("default_text", "");
    t.columns.push_back(std::move(d));
  }
  for (auto& i : j.value("indexes", json::array())) {
    index_def d;
    d.name = i.value("name", "");
    d.columns = i.value("columns", std::vector<int>{});
    d.unique = i.value("unique", false);
    d.primary = i.value("primary", false);
    t.indexes.push_back(std::move(d));
  }
  return t;
}

catalog catalog::load(sqlite3* db) {
  catalog c;
  c.epoch = engine::schema_epoch().load();
  sqlite3_stmt* s = nullptr;
  const char* q =
    "SELECT c.name, t.def FROM collections c LEFT JOIN sql_tables t "
    "ON t.name = c.name";
  if (sqlite3_prepare_v2(db, q, -1, &s, nullptr) != SQLITE_OK)
    throw sql_error("XX000", sqlite3_errmsg(db));
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::string name(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    table_def t;
    if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
      t = table_from_json(
        name, reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
    } else {
      t.name = name;
      t.oid = table_oid(name);
      t.typed = false;
      t.columns = {{"_key", oid::text, -1, true, false, "", ""},
                   {"_rev", oid::text, -1, true, false, "", ""},
                   {"doc", oid::jsonb, -1, true, false, "", ""}};
      t.indexes = {{"pk", {0}, true, true}};
    }
    c.tables_.emplace(name, std::move(t));
  }
  sqlite3_finalize(s);
  return c;
}

catalog catalog::scoped(const std::string& prefix, bool all) const {
  catalog c;
  c.epoch = epoch;
  c.prefix_ = prefix;
  for (auto& [name, t] : tables_) {
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        c.tables_.emplace(name.substr(prefix.size()), t);
    } else if (all || name.find('.') == std::string::npos) {
      c.tables_.emplace(name, t);
    }
  }
  return c;
}

const table_def* catalog::find(const std::string& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

} // namespace themis::sql
