#include "engine/sql/catalog_views.hpp"

#include <algorithm>
#include <unordered_set>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/session_functions.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::sql {

namespace {

constexpr uint32_t public_ns = 2200, catalog_ns = 11, info_ns = 13000;

struct builder {
  std::vector<column> cols;
  std::vector<std::vector<std::string>> rows;

  builder& col(const char* name, uint32_t type) {
    cols.push_back({name, type});
    return *this;
  }
  void row(std::vector<std::string> r) { rows.push_back(std::move(r)); }

  view_sql build() const {
    std::string sel;
    for (size_t i = 0; i < cols.size(); ++i)
      sel += (i ? ", " : "") + std::string("column") + std::to_string(i + 1) +
             " AS " + quote_ident(cols[i].name);
    std::string sql;
    if (rows.empty()) {
      std::string nulls;
      for (size_t i = 0; i < cols.size(); ++i)
        nulls += (i ? ", " : "") + std::string("NULL");
      sql = "SELECT " + sel + " FROM (VALUES (" + nulls + ")) WHERE 0";
    } else {
      std::string vals;
      for (auto& r : rows) {
        std::string one;
        for (auto& v : r)
          one += (one.empty() ? "" : ", ") + v;
        vals += (vals.empty() ? "(" : ", (") + one + ")";
      }
      sql = "SELECT " + sel + " FROM (VALUES " + vals + ")";
    }
    return {sql, cols};
  }
};

std::string lit(const std::string& s) {
  return quote_literal(s);
}
std::string num(int64_t v) {
  return std::to_string(v);
}
std::string b(bool v) {
  return v ? "1" : "0";
}

uint32_t index_oid(const table_def& t, const index_def& i) {
  return table_oid(t.name + ":" + i.name);
}

/// The tables a session sees: the permanent ones, then its own temp
/// tables (issue 36), which sit in its schema pg_temp_<pid>.
std::vector<std::pair<const std::string&, const table_def&>>
all_tables(const catalog& cat) {
  std::vector<std::pair<const std::string&, const table_def&>> out;
  out.reserve(cat.tables().size() + cat.temp_tables().size());
  for (auto& [n, t] : cat.tables())
    out.emplace_back(n, t);
  for (auto& [n, t] : cat.temp_tables())
    out.emplace_back(n, t);
  return out;
}

std::string schema_of(const table_def& t) {
  return is_temp_table(t.name) ? temp_schema_of(t.name) : "public";
}

uint32_t ns_of(const table_def& t) {
  return is_temp_table(t.name) ? temp_namespace_oid(temp_schema_of(t.name))
                               : public_ns;
}

const char* persistence(const table_def& t) {
  return is_temp_table(t.name) ? "'t'" : "'p'";
}

const std::vector<uint32_t>& known_types() {
  static const std::vector<uint32_t> t = {
    oid::boolean, oid::bytea,  oid::char_t,    oid::name,        oid::int8,
    oid::int2,    oid::int4,   oid::text,      oid::oid_t,       oid::json,
    oid::float4,  oid::float8, oid::unknown,   oid::bpchar,      oid::varchar,
    oid::date,    oid::time,   oid::timestamp, oid::timestamptz, oid::numeric,
    oid::uuid,    oid::jsonb,  oid::regclass,  oid::regproc};
  return t;
}

const char* short_type_name(uint32_t o) {
  switch (o) {
    case oid::boolean:
      return "bool";
    case oid::int2:
      return "int2";
    case oid::int4:
      return "int4";
    case oid::int8:
      return "int8";
    case oid::float4:
      return "float4";
    case oid::float8:
      return "float8";
    case oid::bpchar:
      return "bpchar";
    case oid::varchar:
      return "varchar";
    case oid::timestamp:
      return "timestamp";
    case oid::timestamptz:
      return "timestamptz";
    case oid::time:
      return "time";
    case oid::char_t:
      return "char";
    default: // arrays: pg_type's _int4, _text … (issue 36)
      return is_array_type(o) ? array_short_name(o) : type_name(o);
  }
}

} // namespace

bool is_catalog_view(const std::string& name) {
  static const std::unordered_set<std::string> names = {
    "pg_namespace",  "pg_class",        "pg_attribute", "pg_type",
    "pg_index",      "pg_database",     "pg_settings",  "pg_description",
    "pg_am",         "pg_constraint",   "pg_attrdef",   "pg_roles",
    "pg_user",       "pg_proc",         "pg_collation", "pg_inherits",
    "pg_tablespace", "pg_tables",       "pg_indexes",   "pg_extension",
    "pg_matviews",   "pg_views",        "pg_sequence",  "pg_enum",
    "pg_range",      "pg_stat_activity"};
  return names.count(name) > 0;
}

std::optional<view_sql> catalog_view(const std::string& schema,
                                     const std::string& name,
                                     const catalog& cat,
                                     const session_info& info) {
  builder v;
  if (schema == "information_schema") {
    if (name == "tables") {
      v.col("table_catalog", oid::name)
        .col("table_schema", oid::name)
        .col("table_name", oid::name)
        .col("table_type", oid::text);
      for (auto& [n, t] : all_tables(cat))
        v.row({lit(info.database), lit(schema_of(t)), lit(n),
               is_temp_table(t.name) ? "'LOCAL TEMPORARY'" : "'BASE TABLE'"});
      return v.build();
    }
    if (name == "columns") {
      v.col("table_catalog", oid::name)
        .col("table_schema", oid::name)
        .col("table_name", oid::name)
        .col("column_name", oid::name)
        .col("ordinal_position", oid::int4)
        .col("column_default", oid::text)
        .col("is_nullable", oid::text)
        .col("data_type", oid::text)
        .col("udt_name", oid::name)
        .col("numeric_precision", oid::int4) // issue 36 (numeric)
        .col("numeric_precision_radix", oid::int4)
        .col("numeric_scale", oid::int4);
      for (auto& [n, t] : all_tables(cat))
        for (size_t i = 0; i < t.columns.size(); ++i) {
          auto& c = t.columns[i];
          // numeric(p,s): p, 10, s; integers and floats: their bits, 2
          std::string prec = "NULL", radix = "NULL", scale = "NULL";
          if (c.type_oid == oid::numeric) {
            radix = "10";
            if (c.typmod >= 4) {
              prec = std::to_string(((c.typmod - 4) >> 16) & 0xffff);
              scale = std::to_string((((c.typmod - 4) & 0x7ff) ^ 1024) - 1024);
            }
          } else if (c.type_oid == oid::int2 || c.type_oid == oid::int4 ||
                     c.type_oid == oid::int8) {
            prec = c.type_oid == oid::int2   ? "16"
                   : c.type_oid == oid::int4 ? "32"
                                             : "64";
            radix = "2", scale = "0";
          } else if (c.type_oid == oid::float4 || c.type_oid == oid::float8) {
            prec = c.type_oid == oid::float4 ? "24" : "53";
            radix = "2";
          }
          v.row(
            {lit(info.database), lit(schema_of(t)), lit(n), lit(c.name),
             num(static_cast<int64_t>(i + 1)),
             c.default_text.empty() ? "NULL" : lit(c.default_text),
             c.not_null ? "'NO'" : "'YES'",
             lit(is_array_type(c.type_oid) ? "ARRAY" : type_name(c.type_oid)),
             lit(short_type_name(c.type_oid)), prec, radix, scale});
        }
      return v.build();
    }
    if (name == "schemata") {
      v.col("catalog_name", oid::name)
        .col("schema_name", oid::name)
        .col("schema_owner", oid::name);
      for (auto* s : {"public", "pg_catalog", "information_schema"})
        v.row({lit(info.database), lit(s), lit(info.user)});
      return v.build();
    }
    return std::nullopt;
  }
  if (name == "pg_namespace") {
    v.col("oid", oid::oid_t)
      .col("nspname", oid::name)
      .col("nspowner", oid::oid_t)
      .col("nspacl", oid::text);
    v.row({num(catalog_ns), "'pg_catalog'", "10", "NULL"});
    v.row({num(public_ns), "'public'", "10", "NULL"});
    v.row({num(info_ns), "'information_schema'", "10", "NULL"});
    if (!cat.temp_tables().empty()) { // the session's temp schema (issue 36)
      auto ts = schema_of(cat.temp_tables().begin()->second);
      v.row({num(temp_namespace_oid(ts)), lit(ts), "10", "NULL"});
    }
    return v.build();
  }
  if (name == "pg_class" || name == "pg_tables" || name == "pg_indexes") {
    if (name == "pg_tables") {
      v.col("schemaname", oid::name)
        .col("tablename", oid::name)
        .col("tableowner", oid::name)
        .col("tablespace", oid::name)
        .col("hasindexes", oid::boolean)
        .col("hasrules", oid::boolean)
        .col("hastriggers", oid::boolean)
        .col("rowsecurity", oid::boolean);
      for (auto& [n, t] : all_tables(cat))
        v.row({lit(schema_of(t)), lit(n), lit(info.user), "NULL",
               b(!t.indexes.empty()), "0", "0", "0"});
      return v.build();
    }
    if (name == "pg_indexes") {
      v.col("schemaname", oid::name)
        .col("tablename", oid::name)
        .col("indexname", oid::name)
        .col("tablespace", oid::name)
        .col("indexdef", oid::text);
      for (auto& [n, t] : all_tables(cat))
        for (auto& i : t.indexes)
          v.row({lit(schema_of(t)), lit(n), lit(i.name), "NULL", "NULL"});
      return v.build();
    }
    v.col("oid", oid::oid_t)
      .col("relname", oid::name)
      .col("relnamespace", oid::oid_t)
      .col("relkind", oid::char_t)
      .col("relowner", oid::oid_t)
      .col("relam", oid::oid_t)
      .col("reltuples", oid::float4)
      .col("relhasindex", oid::boolean)
      .col("relpersistence", oid::char_t)
      .col("relchecks", oid::int2)
      .col("relhasrules", oid::boolean)
      .col("relhastriggers", oid::boolean)
      .col("relrowsecurity", oid::boolean)
      .col("relforcerowsecurity", oid::boolean)
      .col("relispartition", oid::boolean)
      .col("reltablespace", oid::oid_t)
      .col("reloftype", oid::oid_t)
      .col("relreplident", oid::char_t)
      .col("reltoastrelid", oid::oid_t)
      .col("relacl", oid::text)
      .col("reloptions", oid::text)
      .col("relnatts", oid::int2)
      .col("relpartbound", oid::text)
      .col("relisshared", oid::boolean)
      .col("reltype", oid::oid_t);
    for (auto& [n, t] : all_tables(cat)) {
      v.row({num(t.oid),
             lit(n),
             num(ns_of(t)),
             "'r'",
             "10",
             "2",
             "-1",
             b(!t.indexes.empty()),
             persistence(t),
             "0",
             "0",
             "0",
             "0",
             "0",
             "0",
             "0",
             "0",
             "'d'",
             "0",
             "NULL",
             "NULL",
             num(static_cast<int64_t>(t.columns.size())),
             "NULL",
             "0",
             "0"});
      if (t.typed)
        for (auto& i : t.indexes)
          v.row({num(index_oid(t, i)),
                 lit(i.name),
                 num(ns_of(t)),
                 "'i'",
                 "10",
                 "403",
                 "-1",
                 "0",
                 persistence(t),
                 "0",
                 "0",
                 "0",
                 "0",
                 "0",
                 "0",
                 "0",
                 "0",
                 "'n'",
                 "0",
                 "NULL",
                 "NULL",
                 num(static_cast<int64_t>(i.columns.size())),
                 "NULL",
                 "0",
                 "0"});
    }
    return v.build();
  }
  if (name == "pg_attribute") {
    v.col("attrelid", oid::oid_t)
      .col("attname", oid::name)
      .col("atttypid", oid::oid_t)
      .col("attnum", oid::int2)
      .col("atttypmod", oid::int4)
      .col("attnotnull", oid::boolean)
      .col("attisdropped", oid::boolean)
      .col("atthasdef", oid::boolean)
      .col("attidentity", oid::char_t)
      .col("attgenerated", oid::char_t)
      .col("attcollation", oid::oid_t)
      .col("attlen", oid::int2)
      .col("attstattarget", oid::int4)
      .col("attstorage", oid::char_t)
      .col("attislocal", oid::boolean)
      .col("attinhcount", oid::int4);
    for (auto& [n, t] : all_tables(cat))
      for (size_t i = 0; i < t.columns.size(); ++i) {
        auto& c = t.columns[i];
        v.row({num(t.oid), lit(c.name), num(c.type_oid),
               num(static_cast<int64_t>(i + 1)), num(c.typmod), b(c.not_null),
               "0", b(!c.default_text.empty()), "''", "''", "0",
               num(type_len(c.type_oid)), "-1", "'x'", "1", "0"});
      }
    return v.build();
  }
  if (name == "pg_type") {
    v.col("oid", oid::oid_t)
      .col("typname", oid::name)
      .col("typnamespace", oid::oid_t)
      .col("typlen", oid::int2)
      .col("typtype", oid::char_t)
      .col("typcategory", oid::char_t)
      .col("typrelid", oid::oid_t)
      .col("typelem", oid::oid_t)
      .col("typarray", oid::oid_t)
      .col("typbasetype", oid::oid_t)
      .col("typtypmod", oid::int4)
      .col("typnotnull", oid::boolean)
      .col("typdelim", oid::char_t)
      .col("typowner", oid::oid_t)
      .col("typcollation", oid::oid_t)
      .col("typinput", oid::text)
      .col("typoutput", oid::text)
      .col("typreceive", oid::text)
      .col("typsend", oid::text);
    for (auto o : known_types()) {
      std::string n = short_type_name(o);
      char cat_c = o == oid::boolean ? 'B'
                   : affinity_of(o) == affinity::integer ||
                       affinity_of(o) == affinity::real || o == oid::numeric
                     ? 'N'
                   : o == oid::date || o == oid::timestamp ||
                       o == oid::timestamptz || o == oid::time
                     ? 'D'
                     : 'S';
      v.row({num(o), lit(n), num(catalog_ns), num(type_len(o)), "'b'",
             lit(std::string(1, cat_c)), "0", "0", num(array_type_of(o)), "0",
             "-1", "0", "','", "10", "0", lit(n + "in"), lit(n + "out"),
             lit(n + "recv"), lit(n + "send")});
    }
    for (auto o : array_types()) { // issue 36: typcategory 'A'
      std::string n = array_short_name(o);
      v.row({num(o), lit(n), num(catalog_ns), "-1", "'b'", "'A'", "0",
             num(element_type_of(o)), "0", "0", "-1", "0", "','", "10", "0",
             lit(is_array_type(o) && n[0] == '_' ? "array_in" : n + "in"),
             lit(n[0] == '_' ? "array_out" : n + "out"),
             lit(n[0] == '_' ? "array_recv" : n + "recv"),
             lit(n[0] == '_' ? "array_send" : n + "send")});
    }
    return v.build();
  }
  if (name == "pg_index") {
    v.col("indexrelid", oid::oid_t)
      .col("indrelid", oid::oid_t)
      .col("indnatts", oid::int2)
      .col("indisprimary", oid::boolean)
      .col("indisunique", oid::boolean)
      .col("indisclustered", oid::boolean)
      .col("indisvalid", oid::boolean)
      .col("indisreplident", oid::boolean)
      .col("indkey", oid::text)
      .col("indisexclusion", oid::boolean)
      .col("indimmediate", oid::boolean)
      .col("indisready", oid::boolean);
    for (auto& [n, t] : all_tables(cat))
      if (t.typed)
        for (auto& i : t.indexes) {
          std::string key;
          for (auto c : i.columns)
            key += (key.empty() ? "" : " ") + std::to_string(c + 1);
          v.row({num(index_oid(t, i)), num(t.oid),
                 num(static_cast<int64_t>(i.columns.size())), b(i.primary),
                 b(i.unique), "0", "1", "0", lit(key), "0", "1", "1"});
        }
    return v.build();
  }
  if (name == "pg_constraint") {
    v.col("oid", oid::oid_t)
      .col("conname", oid::name)
      .col("connamespace", oid::oid_t)
      .col("contype", oid::char_t)
      .col("conrelid", oid::oid_t)
      .col("conindid", oid::oid_t)
      .col("condeferrable", oid::boolean)
      .col("condeferred", oid::boolean)
      .col("conkey", oid::text)
      .col("confrelid", oid::oid_t)
      .col("conparentid", oid::oid_t)
      .col("convalidated", oid::boolean)
      .col("confupdtype", oid::char_t)
      .col("confdeltype", oid::char_t)
      .col("confmatchtype", oid::char_t)
      .col("confkey", oid::text)
      .col("conislocal", oid::boolean)
      .col("coninhcount", oid::int4)
      .col("connoinherit", oid::boolean)
      .col("conbin", oid::text);
    auto keys = [](const std::vector<int>& cols) {
      std::string key;
      for (auto c : cols)
        key += (key.empty() ? "{" : ",") + std::to_string(c + 1);
      return lit(key + "}");
    };
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      for (auto& i : t.indexes)
        if (i.primary || i.unique)
          v.row({num(index_oid(t, i)), lit(i.name), num(ns_of(t)),
                 i.primary ? "'p'" : "'u'", num(t.oid), num(index_oid(t, i)),
                 "0", "0", keys(i.columns), "0", "0", "1", "' '", "' '",
                 "' '", "NULL", "1", "0", "1", "NULL"});
      for (auto& f : t.foreign_keys) {
        auto ref = table_oid(f.ref_table);
        uint32_t ref_index = 0; // the referenced unique index
        for (auto& [rn, r] : all_tables(cat))
          if (r.name == f.ref_table)
            for (auto& i : r.indexes)
              if (i.unique && std::is_permutation(i.columns.begin(),
                                                  i.columns.end(),
                                                  f.ref_columns.begin(),
                                                  f.ref_columns.end()))
                ref_index = index_oid(r, i);
        v.row({num(constraint_oid(t, f.name)), lit(f.name), num(ns_of(t)),
               "'f'", num(t.oid), num(ref_index), b(f.deferrable),
               b(f.deferred), keys(f.columns), num(ref), "0", "1",
               lit(std::string(1, f.on_update)),
               lit(std::string(1, f.on_delete)), lit(std::string(1, f.match)),
               keys(f.ref_columns), "1", "0", "1", "NULL"});
      }
      for (auto& c : t.checks) {
        std::vector<int> used; // columns the condition names
        for (size_t i = 0; i < t.columns.size(); ++i)
          if (c.sql.find(json_path(t.columns[i].name)) != std::string::npos)
            used.push_back(static_cast<int>(i));
        v.row({num(constraint_oid(t, c.name)), lit(c.name), num(ns_of(t)),
               "'c'", num(t.oid), "0", "0", "0", keys(used), "0", "0", "1",
               "' '", "' '", "' '", "NULL", "1", "0", "0", lit(c.text)});
      }
    }
    return v.build();
  }
  if (name == "pg_attrdef") {
    v.col("oid", oid::oid_t)
      .col("adrelid", oid::oid_t)
      .col("adnum", oid::int2)
      .col("adbin", oid::text);
    for (auto& [n, t] : all_tables(cat))
      for (size_t i = 0; i < t.columns.size(); ++i)
        if (!t.columns[i].default_text.empty())
          v.row({num(table_oid(n + "#" + std::to_string(i))), num(t.oid),
                 num(static_cast<int64_t>(i + 1)),
                 lit(t.columns[i].default_text)});
    return v.build();
  }
  if (name == "pg_database") {
    v.col("oid", oid::oid_t)
      .col("datname", oid::name)
      .col("datdba", oid::oid_t)
      .col("encoding", oid::int4)
      .col("datcollate", oid::name)
      .col("datctype", oid::name)
      .col("datistemplate", oid::boolean)
      .col("datallowconn", oid::boolean)
      .col("datacl", oid::text)
      .col("datlocprovider", oid::char_t)
      .col("daticulocale", oid::text)
      .col("datconnlimit", oid::int4)
      .col("dattablespace", oid::oid_t);
    v.row({"16380", lit(info.database), "10", "6", "'C.UTF-8'", "'C.UTF-8'",
           "0", "1", "NULL", "'c'", "NULL", "-1", "1663"});
    return v.build();
  }
  if (name == "pg_settings") {
    v.col("name", oid::text)
      .col("setting", oid::text)
      .col("unit", oid::text)
      .col("category", oid::text)
      .col("short_desc", oid::text)
      .col("context", oid::text)
      .col("vartype", oid::text)
      .col("source", oid::text)
      .col("boot_val", oid::text)
      .col("reset_val", oid::text);
    for (auto& [k, val] : info.settings)
      v.row({lit(k), lit(val), "NULL", "'Client Connection Defaults'", "''",
             "'user'", "'string'", "'session'", lit(val), lit(val)});
    return v.build();
  }
  if (name == "pg_roles" || name == "pg_user") {
    v.col(name == "pg_roles" ? "rolname" : "usename", oid::name)
      .col(name == "pg_roles" ? "oid" : "usesysid", oid::oid_t)
      .col(name == "pg_roles" ? "rolsuper" : "usesuper", oid::boolean)
      .col("rolcanlogin", oid::boolean);
    v.row({lit(info.user), "10", "1", "1"});
    return v.build();
  }
  if (name == "pg_am") {
    v.col("oid", oid::oid_t)
      .col("amname", oid::name)
      .col("amtype", oid::char_t);
    v.row({"2", "'heap'", "'t'"});
    v.row({"403", "'btree'", "'i'"});
    return v.build();
  }
  if (name == "pg_tablespace") {
    v.col("oid", oid::oid_t).col("spcname", oid::name);
    v.row({"1663", "'pg_default'"});
    return v.build();
  }
  if (name == "pg_description") {
    v.col("objoid", oid::oid_t)
      .col("classoid", oid::oid_t)
      .col("objsubid", oid::int4)
      .col("description", oid::text);
    return v.build();
  }
  if (name == "pg_proc") {
    v.col("oid", oid::oid_t)
      .col("proname", oid::name)
      .col("pronamespace", oid::oid_t)
      .col("prorettype", oid::oid_t)
      .col("prokind", oid::char_t)
      .col("proargtypes", oid::text)
      .col("proretset", oid::boolean)
      .col("prolang", oid::oid_t);
    return v.build();
  }
  if (name == "pg_collation") {
    v.col("oid", oid::oid_t)
      .col("collname", oid::name)
      .col("collnamespace", oid::oid_t);
    return v.build();
  }
  if (name == "pg_inherits") {
    v.col("inhrelid", oid::oid_t)
      .col("inhparent", oid::oid_t)
      .col("inhseqno", oid::int4)
      .col("inhdetachpending", oid::boolean);
    return v.build();
  }
  if (name == "pg_extension") {
    v.col("oid", oid::oid_t)
      .col("extname", oid::name)
      .col("extversion", oid::text);
    return v.build();
  }
  if (name == "pg_views" || name == "pg_matviews") {
    v.col("schemaname", oid::name)
      .col("viewname", oid::name)
      .col("definition", oid::text);
    return v.build();
  }
  if (name == "pg_policy") {
    v.col("oid", oid::oid_t)
      .col("polname", oid::name)
      .col("polrelid", oid::oid_t)
      .col("polcmd", oid::char_t)
      .col("polpermissive", oid::boolean)
      .col("polroles", oid::text)
      .col("polqual", oid::text)
      .col("polwithcheck", oid::text);
    return v.build();
  }
  if (name == "pg_statistic_ext") {
    v.col("oid", oid::oid_t)
      .col("stxrelid", oid::oid_t)
      .col("stxname", oid::name)
      .col("stxnamespace", oid::oid_t)
      .col("stxowner", oid::oid_t)
      .col("stxstattarget", oid::int4)
      .col("stxkeys", oid::text)
      .col("stxkind", oid::text)
      .col("stxexprs", oid::text);
    return v.build();
  }
  if (name == "pg_publication") {
    v.col("oid", oid::oid_t)
      .col("pubname", oid::name)
      .col("puballtables", oid::boolean)
      .col("pubinsert", oid::boolean)
      .col("pubupdate", oid::boolean)
      .col("pubdelete", oid::boolean)
      .col("pubtruncate", oid::boolean)
      .col("pubviaroot", oid::boolean);
    return v.build();
  }
  if (name == "pg_publication_rel" || name == "pg_publication_namespace") {
    v.col("oid", oid::oid_t)
      .col("prpubid", oid::oid_t)
      .col("prrelid", oid::oid_t)
      .col("pnpubid", oid::oid_t)
      .col("pnnspid", oid::oid_t)
      .col("prqual", oid::text)
      .col("prattrs", oid::text);
    return v.build();
  }
  if (name == "pg_trigger") {
    v.col("oid", oid::oid_t)
      .col("tgrelid", oid::oid_t)
      .col("tgname", oid::name)
      .col("tgisinternal", oid::boolean)
      .col("tgenabled", oid::char_t)
      .col("tgparentid", oid::oid_t)
      .col("tgconstraint", oid::oid_t);
    return v.build();
  }
  if (name == "pg_rewrite") {
    v.col("oid", oid::oid_t)
      .col("rulename", oid::name)
      .col("ev_class", oid::oid_t)
      .col("ev_type", oid::char_t)
      .col("ev_enabled", oid::char_t)
      .col("is_instead", oid::boolean);
    return v.build();
  }
  if (name == "pg_partitioned_table" || name == "pg_foreign_table") {
    v.col("partrelid", oid::oid_t)
      .col("partstrat", oid::char_t)
      .col("ftrelid", oid::oid_t)
      .col("ftserver", oid::oid_t)
      .col("ftoptions", oid::text);
    return v.build();
  }
  if (name == "pg_language") {
    v.col("oid", oid::oid_t).col("lanname", oid::name);
    v.row({"12", "'internal'"});
    v.row({"14", "'sql'"});
    return v.build();
  }
  if (name == "pg_range") { // asyncpg's type introspection joins it
    v.col("rngtypid", oid::oid_t)
      .col("rngsubtype", oid::oid_t)
      .col("rngmultitypid", oid::oid_t)
      .col("rngcollation", oid::oid_t)
      .col("rngsubopc", oid::oid_t)
      .col("rngcanonical", oid::oid_t)
      .col("rngsubdiff", oid::oid_t);
    return v.build(); // no range types
  }
  if (name == "pg_stat_activity")
    return stat_activity_view(); // live rows: session_functions.cpp
  if (name == "pg_sequence" || name == "pg_enum" || name == "pg_range" ||
      name == "pg_event_trigger" || name == "pg_operator" ||
      name == "pg_opclass" || name == "pg_authid" ||
      name == "pg_auth_members" || name == "pg_shdescription" ||
      name == "pg_locks" || name == "pg_prepared_statements" ||
      name == "pg_cursors") {
    v.col("oid", oid::oid_t);
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql
