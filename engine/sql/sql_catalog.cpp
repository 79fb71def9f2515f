#include "engine/sql/sql_catalog.hpp"

#include "engine/index_def.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <sqlite3.h>

#include "engine/sql/pg_enum.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/temp_tables.hpp"
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
  if (c.type_oid == oid::numeric) // the literal's exact digits (issue 36)
    return "themis_num_col(" + row + " -> " + json_path(c.name) + ")";
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

std::string index_expr(const table_def& t, const column_def& c) {
  if (t.typed && c.type_oid == oid::numeric) // by value (issue 36)
    return "themis_num_key(" + column_expr(t, c) + ")";
  return column_expr(t, c);
}

std::string coerce_sql(const table_def& t, const column_def& c,
                       const std::string& v) {
  auto out = "themis_coerce(" + v + ", " + std::to_string(c.type_oid) + ", " +
             (c.not_null ? "1" : "0") + ", " +
             quote_literal(c.name + "\x1e" + t.name) + ")";
  if (c.type_oid == oid::numeric && c.typmod >= 4) // numeric(p,s): round
    return "themis_num_typmod(" + out + ", " + std::to_string(c.typmod) + ")";
  return out;
}

std::string stored_value_sql(const column_def& c, const std::string& v) {
  if (c.type_oid == oid::boolean)
    return "CASE WHEN (" + v + ") IS NULL THEN NULL WHEN (" + v +
           ") THEN json('true') ELSE json('false') END";
  if (affinity_of(c.type_oid) == affinity::json)
    return "json(" + v + ")";
  if (c.type_oid == oid::numeric) // a JSON number with every digit
    return "themis_num_json(" + v + ")";
  if (affinity_of(c.type_oid) == affinity::real) // every digit kept
    return "themis_float_json(" + v + ")";
  return v;
}

std::string fk_definition(const table_def& t, const foreign_key_def& fk,
                          const table_def& ref, const std::string& ref_name) {
  auto names = [](const table_def& d, const std::vector<int>& cols) {
    std::string s;
    for (auto c : cols)
      s += (s.empty() ? "" : ", ") + d.columns[static_cast<size_t>(c)].name;
    return s;
  };
  auto action = [](char a) -> std::string {
    switch (a) {
      case 'r':
        return "RESTRICT";
      case 'c':
        return "CASCADE";
      case 'n':
        return "SET NULL";
      case 'd':
        return "SET DEFAULT";
      default:
        return "";
    }
  };
  auto out = "FOREIGN KEY (" + names(t, fk.columns) + ") REFERENCES " +
             ref_name + "(" + names(ref, fk.ref_columns) + ")";
  if (fk.match == 'f')
    out += " MATCH FULL";
  if (fk.on_update != 'a')
    out += " ON UPDATE " + action(fk.on_update);
  if (fk.on_delete != 'a')
    out += " ON DELETE " + action(fk.on_delete);
  if (fk.deferrable)
    out += fk.deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
  return out;
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
    cols += index_expr(t, t.columns[static_cast<size_t>(i)]);
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
  // comments (issue 36: COMMENT ON, pg_dump) only where there are some
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (!t.columns[i].comment.empty())
      j["columns"][i]["comment"] = t.columns[i].comment;
  if (!t.comment.empty())
    j["comment"] = t.comment;
  if (!t.on_commit.empty())
    j["on_commit"] = t.on_commit;
  j["indexes"] = json::array();
  for (auto& i : t.indexes) {
    j["indexes"].push_back({{"name", i.name},
                            {"columns", i.columns},
                            {"unique", i.unique},
                            {"primary", i.primary}});
    if (i.index_only) // issue 36
      j["indexes"].back()["index_only"] = true;
    if (!i.comment.empty())
      j["indexes"].back()["comment"] = i.comment;
  }
  if (!t.foreign_keys.empty()) {
    auto& fks = j["foreign_keys"] = json::array();
    for (auto& f : t.foreign_keys)
      fks.push_back({{"name", f.name},
                     {"columns", f.columns},
                     {"ref_table", f.ref_table},
                     {"ref_columns", f.ref_columns},
                     {"on_delete", std::string(1, f.on_delete)},
                     {"on_update", std::string(1, f.on_update)},
                     {"match", std::string(1, f.match)},
                     {"deferrable", f.deferrable},
                     {"deferred", f.deferred}});
    for (size_t i = 0; i < t.foreign_keys.size(); ++i)
      if (!t.foreign_keys[i].comment.empty())
        fks[i]["comment"] = t.foreign_keys[i].comment;
  }
  if (!t.checks.empty()) {
    auto& cks = j["checks"] = json::array();
    for (auto& c : t.checks)
      cks.push_back({{"name", c.name}, {"text", c.text}, {"sql", c.sql}});
    for (size_t i = 0; i < t.checks.size(); ++i)
      if (!t.checks[i].comment.empty())
        cks[i]["comment"] = t.checks[i].comment;
  }
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
    d.comment = c.value("comment", "");
    t.columns.push_back(std::move(d));
  }
  t.on_commit = j.value("on_commit", "");
  t.comment = j.value("comment", "");
  for (auto& i : j.value("indexes", json::array())) {
    index_def d;
    d.name = i.value("name", "");
    d.columns = i.value("columns", std::vector<int>{});
    d.unique = i.value("unique", false);
    d.primary = i.value("primary", false);
    d.index_only = i.value("index_only", false);
    d.comment = i.value("comment", "");
    t.indexes.push_back(std::move(d));
  }
  auto letter = [](const json& o, const char* k, char def) {
    auto v = o.value(k, std::string());
    return v.empty() ? def : v[0];
  };
  for (auto& f : j.value("foreign_keys", json::array())) {
    foreign_key_def d;
    d.name = f.value("name", "");
    d.columns = f.value("columns", std::vector<int>{});
    d.ref_table = f.value("ref_table", "");
    d.ref_columns = f.value("ref_columns", std::vector<int>{});
    d.on_delete = letter(f, "on_delete", 'a');
    d.on_update = letter(f, "on_update", 'a');
    d.match = letter(f, "match", 's');
    d.deferrable = f.value("deferrable", false);
    d.deferred = f.value("deferred", false);
    d.comment = f.value("comment", "");
    t.foreign_keys.push_back(std::move(d));
  }
  for (auto& c : j.value("checks", json::array()))
    t.checks.push_back({c.value("name", ""), c.value("text", ""),
                        c.value("sql", ""), c.value("comment", "")});
  return t;
}

namespace {

/// The REST persistent indexes of untyped tables (issue 22): foreground
/// ones, and background ones once ready. A store without the tables
/// (older) has none.
void load_rest_indexes(sqlite3* db, std::map<std::string, table_def>& tables) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(
        db,
        "SELECT i.collection, i.def, b.state FROM collection_indexes i "
        "LEFT JOIN index_builds b USING(collection, name)",
        -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s);
    return;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    auto it =
      tables.find(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    if (it == tables.end() || it->second.typed)
      continue;
    engine::doc_index_def d;
    d.collection = it->first;
    auto j = json::parse(
      reinterpret_cast<const char*>(sqlite3_column_text(s, 1)), nullptr, false);
    if (!engine::doc_index_from_json(j, d) ||
        d.type != engine::doc_index_type::persistent || d.fields.empty())
      continue;
    auto state = sqlite3_column_text(s, 2);
    if (d.background &&
        (!state ||
         std::string_view(reinterpret_cast<const char*>(state)) != "ready"))
      continue;
    doc_index_ref r;
    r.json_path = engine::field_json_path(d.fields[0]);
    if (d.background)
      r.side_table = engine::doc_index_side_name(d.collection, d.name);
    r.sparse = d.sparse;
    r.fields = d.fields.size();
    it->second.doc_indexes.push_back(std::move(r));
  }
  sqlite3_finalize(s);
}

} // namespace

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
  load_rest_indexes(db, c.tables_);
  // temp tables are in sql_tables only, never in collections (issue 36)
  s = nullptr;
  if (sqlite3_prepare_v2(
        db, "SELECT name, def FROM sql_tables WHERE instr(name, '$') > 0", -1,
        &s, nullptr) != SQLITE_OK)
    throw sql_error("XX000", sqlite3_errmsg(db));
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::string name(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    c.all_temp_.emplace(
      name, table_from_json(
              name, reinterpret_cast<const char*>(sqlite3_column_text(s, 1))));
  }
  sqlite3_finalize(s);
  if (sqlite3_prepare_v2(db, "SELECT name, def FROM sql_types", -1, &s,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      enum_def e;
      e.name = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      e.oid = enum_oid(e.name);
      auto j =
        json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                    nullptr, false);
      if (j.is_object())
        e.labels = j.value("labels", std::vector<std::string>{});
      auto dot = e.name.find('.');
      enum_registry_set(
        e.oid, dot == std::string::npos ? e.name : e.name.substr(dot + 1),
        e.labels);
      c.enums_.emplace(e.name, std::move(e));
    }
  }
  sqlite3_finalize(s);
  c.all_sequences_ = load_sequences(db); // issue 36 (sql_sequences.cpp)
  for (auto& [n, sq] : c.all_sequences_)
    if (!is_temp_table(n))
      c.sequences_.emplace(n, sq);
  s = nullptr; // views (issue 36): a store older than them has no table
  if (sqlite3_prepare_v2(db, "SELECT name, def FROM sql_views", -1, &s,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string name(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
      auto v = view_from_json(
        name, reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
      c.views_.emplace(name, std::move(v));
    }
  }
  sqlite3_finalize(s);
  c.load_functions(db); // issue 36: CREATE FUNCTION (sql_udf.cpp)
  return c;
}

bool catalog::is_temp(const std::string& stored) {
  return is_temp_table(stored);
}

std::string catalog::temp_local(const std::string& stored) {
  return temp_local_name(stored);
}

const table_def* catalog::find_permanent(const std::string& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const table_def* catalog::find_temp(const std::string& name) const {
  auto it = temp_.find(name);
  return it == temp_.end() ? nullptr : &it->second;
}

catalog catalog::scoped(const std::string& prefix, bool all,
                        const std::string& temp_prefix) const {
  catalog c;
  c.epoch = epoch;
  c.prefix_ = prefix;
  if (!temp_prefix.empty())
    for (auto& [name, t] : all_temp_)
      if (name.size() > temp_prefix.size() &&
          name.compare(0, temp_prefix.size(), temp_prefix) == 0)
        c.temp_.emplace(temp_local_name(name), t);
  for (auto& [name, t] : tables_) {
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        c.tables_.emplace(name.substr(prefix.size()), t);
    } else if (all || name.find('.') == std::string::npos) {
      c.tables_.emplace(name, t);
    }
  }
  c.temp_prefix_ = temp_prefix;
  for (auto& [name, v] : views_) { // views: as tables (issue 36)
    if (is_temp_table(name))       // the session's own temp views only
      continue;
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        c.views_.emplace(name.substr(prefix.size()), v);
    } else if (all || name.find('.') == std::string::npos) {
      c.views_.emplace(name, v);
    }
  }
  if (!temp_prefix.empty()) // pg_temp first: a temp view hides another
    for (auto& [name, v] : views_)
      if (name.size() > temp_prefix.size() &&
          name.compare(0, temp_prefix.size(), temp_prefix) == 0)
        c.views_[temp_local_name(name)] = v;
  c.scope_functions(*this, prefix, all); // issue 36 (sql_udf.cpp)
  for (auto& [name, e] : enums_) {       // types: the same namespaces
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        c.enums_.emplace(name.substr(prefix.size()), e);
    } else if (all || name.find('.') == std::string::npos) {
      c.enums_.emplace(name, e);
    }
  }
  c.scope_sequences(*this, prefix, all, temp_prefix); // issue 36
  return c;
}

std::shared_ptr<const std::vector<table_def>>
catalog::constraint_tables() const {
  if (constraint_cached_)
    return constraint_cache_;
  std::vector<table_def> out;
  std::set<std::string> referenced;
  for (auto* m : {&tables_, &temp_}) // the session's temp tables too
    for (auto& [name, t] : *m)
      for (auto& f : t.foreign_keys)
        referenced.insert(f.ref_table);
  for (auto* m : {&tables_, &temp_})
    for (auto& [name, t] : *m)
      if (!t.foreign_keys.empty() || !t.checks.empty() ||
          referenced.count(t.name))
        out.push_back(t);
  constraint_cached_ = true;
  if (!out.empty())
    constraint_cache_ =
      std::make_shared<const std::vector<table_def>>(std::move(out));
  return constraint_cache_;
}

const table_def* catalog::find(const std::string& name) const {
  if (is_temp(name)) { // a stored temp name (COPY's INSERT): our own only
    auto t = find_temp(temp_local(name));
    return t && t->name == name ? t : nullptr;
  }
  if (auto t = find_temp(name))
    return t;
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

} // namespace themis::sql
