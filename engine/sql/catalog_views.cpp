#include "engine/sql/catalog_views.hpp"
#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/catalog_views_view.hpp"

#include <algorithm>
#include <unordered_set>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/session_functions.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::sql {

using namespace catv;

view_sql catv::builder::build() const {
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

std::string catv::attnums(const std::vector<int>& cols) {
  std::string key;
  for (auto c : cols)
    key += (key.empty() ? "[" : ",") + std::to_string(c + 1);
  return lit(key.empty() ? "[]" : key + "]");
}

uint32_t catv::index_oid(const table_def& t, const index_def& i) {
  return table_oid(t.name + ":" + i.name);
}

/// The tables a session sees: the permanent ones, then its own temp
/// tables (issue 36), which sit in its schema pg_temp_<pid>.
std::vector<table_ref> catv::all_tables(const catalog& cat) {
  std::vector<table_ref> out;
  out.reserve(cat.tables().size() + cat.temp_tables().size());
  for (auto& [n, t] : cat.tables())
    out.emplace_back(n, t);
  for (auto& [n, t] : cat.temp_tables())
    out.emplace_back(n, t);
  return out;
}

std::string catv::schema_of(const table_def& t) {
  return is_temp_table(t.name) ? temp_schema_of(t.name) : "public";
}

uint32_t catv::ns_of(const table_def& t) {
  return is_temp_table(t.name) ? temp_namespace_oid(temp_schema_of(t.name))
                               : public_ns;
}

const char* catv::persistence(const table_def& t) {
  return is_temp_table(t.name) ? "'t'" : "'p'";
}

namespace {} // namespace

const char* catv::short_type_name(uint32_t o) {
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

bool is_catalog_view(const std::string& name) {
  static const std::unordered_set<std::string> names = {
    "pg_namespace",  "pg_class",         "pg_attribute", "pg_type",
    "pg_index",      "pg_database",      "pg_settings",  "pg_description",
    "pg_am",         "pg_constraint",    "pg_attrdef",   "pg_roles",
    "pg_user",       "pg_proc",          "pg_collation", "pg_inherits",
    "pg_tablespace", "pg_tables",        "pg_indexes",   "pg_extension",
    "pg_matviews",   "pg_views",         "pg_sequence",  "pg_enum",
    "pg_range",      "pg_stat_activity", "pg_sequences", "pg_depend",
    "pg_authid",     "pg_auth_members"};
  // issue 36 (catalog): pg_depend … are listed above
  return names.count(name) > 0 || is_dump_catalog(name); // + pg_dump's
}

std::optional<view_sql> catalog_view(const std::string& schema,
                                     const std::string& name,
                                     const catalog& cat,
                                     const session_info& info) {
  builder v;
  // views' own rows: pg_views, information_schema.views, pg_rewrite
  if (auto r = view_catalog_view(schema, name, cat, info)) // issue 36
    return r;
  if (schema == "information_schema") {
    if (auto r = infoschema_view(name, cat, info)) // _infoschema.cpp
      return r;
    if (name == "tables") {
      v.col("table_catalog", oid::name)
        .col("table_schema", oid::name)
        .col("table_name", oid::name)
        .col("table_type", oid::text);
      for (auto& [n, t] : all_tables(cat))
        v.row({lit(info.database), lit(schema_of(t)), lit(n),
               is_temp_table(t.name) ? "'LOCAL TEMPORARY'" : "'BASE TABLE'"});
      for (auto& [n, t] : view_tables(cat)) // issue 36
        v.row({lit(info.database), lit(schema_of(t)), lit(n), "'VIEW'"});
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
             catv::num(static_cast<int64_t>(i + 1)),
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
  if (auto r = relation_view(name, cat, info)) // catalog_views_rel.cpp
    return r;
  if (auto r = role_view(name, cat, info)) // catalog_views_roles.cpp
    return r;
  if (auto r = type_view(name, cat)) // catalog_views_types.cpp
    return r;
  if (auto r = dump_view(name, cat)) // catalog_views_dump.cpp (issue 36)
    return r;
  if (name == "pg_namespace") {
    v.col("oid", oid::oid_t)
      .col("nspname", oid::name)
      .col("nspowner", oid::oid_t)
      .col("nspacl", oid::text);
    v.row({catv::num(catalog_ns), "'pg_catalog'", "10", "NULL"});
    v.row({catv::num(public_ns), "'public'", "10", "NULL"});
    v.row({catv::num(info_ns), "'information_schema'", "10", "NULL"});
    if (!cat.temp_tables().empty()) { // the session's temp schema (issue 36)
      auto ts = schema_of(cat.temp_tables().begin()->second);
      v.row({catv::num(temp_namespace_oid(ts)), lit(ts), "10", "NULL"});
    }
    return v.build();
  }
  if (name == "pg_tables" || name == "pg_indexes") {
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
        for (auto& i : t.indexes) {
          // pg_get_indexdef's text (peewee's get_indexes reads it)
          std::string cols;
          for (auto c : i.columns)
            if (c >= 0 && static_cast<size_t>(c) < t.columns.size())
              cols += (cols.empty() ? "" : ", ") +
                      t.columns[static_cast<size_t>(c)].name;
          v.row({lit(schema_of(t)), lit(n), lit(i.name), "NULL",
                 lit(std::string("CREATE ") + (i.unique ? "UNIQUE " : "") +
                     "INDEX " + i.name + " ON " + schema_of(t) + "." + n +
                     " USING btree (" + cols + ")")});
        }
      return v.build();
    }
    return std::nullopt; // unreachable: pg_class is relation_view's
  }
  if (auto r = database_view(name, info)) // pg_database (issue 36)
    return r;
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
  if (name == "pg_am") {
    v.col("oid", oid::oid_t)
      .col("amname", oid::name)
      .col("amtype", oid::char_t)
      .col("amhandler", oid::regproc); // pg_dump reads it
    v.row({"2", "'heap'", "'t'", "3"});
    v.row({"403", "'btree'", "'i'", "330"});
    return v.build();
  }
  if (name == "pg_tablespace") {
    v.col("oid", oid::oid_t).col("spcname", oid::name);
    v.row({"1663", "'pg_default'"});
    return v.build();
  }
  if (name == "pg_collation") {
    v.col("oid", oid::oid_t)
      .col("collname", oid::name)
      .col("collnamespace", oid::oid_t)
      .col("collowner", oid::oid_t) // pg_dump reads these
      .col("collprovider", oid::char_t)
      .col("collisdeterministic", oid::boolean)
      .col("collencoding", oid::int4)
      .col("collcollate", oid::text)
      .col("collctype", oid::text)
      .col("colliculocale", oid::text)
      .col("collversion", oid::text);
    return v.build();
  }
  if (name == "pg_inherits") {
    v.col("inhrelid", oid::oid_t)
      .col("inhparent", oid::oid_t)
      .col("inhseqno", oid::int4)
      .col("inhdetachpending", oid::boolean);
    return v.build();
  }
  if (name == "pg_views" || name == "pg_matviews") {
    v.col("schemaname", oid::name)
      .col("viewname", oid::name)
      .col("definition", oid::text);
    return v.build();
  }
  if (name == "pg_trigger") {
    v.col("oid", oid::oid_t)
      .col("tgrelid", oid::oid_t)
      .col("tgname", oid::name)
      .col("tgisinternal", oid::boolean)
      .col("tgenabled", oid::char_t)
      .col("tgparentid", oid::oid_t)
      .col("tgconstraint", oid::oid_t)
      .col("tgfoid", oid::oid_t) // the rest of PostgreSQL 15's (pg_dump)
      .col("tgtype", oid::int2)
      .col("tgconstrrelid", oid::oid_t)
      .col("tgconstrindid", oid::oid_t)
      .col("tgdeferrable", oid::boolean)
      .col("tginitdeferred", oid::boolean)
      .col("tgnargs", oid::int2)
      .col("tgattr", oid::int2vector)
      .col("tgargs", oid::bytea)
      .col("tgqual", oid::text)
      .col("tgoldtable", oid::name)
      .col("tgnewtable", oid::name);
    return v.build();
  }
  if (name == "pg_rewrite") {
    v.col("oid", oid::oid_t)
      .col("rulename", oid::name)
      .col("ev_class", oid::oid_t)
      .col("ev_type", oid::char_t)
      .col("ev_enabled", oid::char_t)
      .col("is_instead", oid::boolean)
      .col("ev_qual", oid::text) // pg_node_tree (pg_dump)
      .col("ev_action", oid::text);
    return v.build();
  }
  if (name == "pg_language") { // PostgreSQL 15's rows (pg_dump reads all)
    v.col("oid", oid::oid_t)
      .col("lanname", oid::name)
      .col("lanowner", oid::oid_t)
      .col("lanispl", oid::boolean)
      .col("lanpltrusted", oid::boolean)
      .col("lanplcallfoid", oid::oid_t)
      .col("laninline", oid::oid_t)
      .col("lanvalidator", oid::oid_t)
      .col("lanacl", oid::text);
    v.row({"12", "'internal'", "10", "0", "0", "0", "0", "2246", "NULL"});
    v.row({"13", "'c'", "10", "0", "0", "0", "0", "2247", "NULL"});
    v.row({"14", "'sql'", "10", "0", "1", "0", "0", "2248", "NULL"});
    v.row({"13563", "'plpgsql'", "10", "1", "1", "13560", "13561", "13562",
           "NULL"});
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
  if (name == "pg_range") {      // asyncpg's type introspection joins it
    v.col("rngtypid", oid::oid_t)
      .col("rngsubtype", oid::oid_t)
      .col("rngmultitypid", oid::oid_t)
      .col("rngcollation", oid::oid_t)
      .col("rngsubopc", oid::oid_t)
      .col("rngcanonical", oid::oid_t)
      .col("rngsubdiff", oid::oid_t);
    return v.build(); // no range types
  }
  if (name == "pg_locks" || name == "pg_prepared_statements" ||
      name == "pg_cursors") { // (pg_dump's catalogs: catalog_views_dump.cpp)
    v.col("oid", oid::oid_t);
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql
