/// information_schema views that ORMs read to learn a table's columns and
/// constraints (Sequelize's foreign key lookup, TypeORM's synchronize,
/// peewee's introspection, knex's columnInfo): columns with every column
/// they select, table_constraints, key_column_usage,
/// constraint_column_usage, referential_constraints, check_constraints,
/// sequences and views, built from the same catalog as pg_constraint.

#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/catalog_views_view.hpp"
#include "engine/sql/pg_array.hpp"
#include "engine/sql/sql_catalog.hpp"

#include <algorithm>

namespace themis::sql::catv {

namespace {

const char* rule(char a) {
  switch (a) {
    case 'r':
      return "'RESTRICT'";
    case 'c':
      return "'CASCADE'";
    case 'n':
      return "'SET NULL'";
    case 'd':
      return "'SET DEFAULT'";
    default:
      return "'NO ACTION'";
  }
}

const table_def* find_stored(const catalog& cat, const std::string& stored) {
  for (auto& [n, t] : all_tables(cat))
    if (t.name == stored)
      return &t;
  return nullptr;
}

std::string local_of(const catalog& cat, const std::string& stored) {
  for (auto& [n, t] : all_tables(cat))
    if (t.name == stored)
      return n;
  return stored;
}

/// The unique index a foreign key references.
const index_def* referenced_key(const table_def& ref,
                                const foreign_key_def& f) {
  for (auto& i : ref.indexes)
    if (i.unique &&
        std::is_permutation(i.columns.begin(), i.columns.end(),
                            f.ref_columns.begin(), f.ref_columns.end()))
      return &i;
  return nullptr;
}

view_sql columns_view(const catalog& cat, const session_info& info) {
  builder v;
  for (auto* c : {"table_catalog", "table_schema", "table_name", "column_name"})
    v.col(c, oid::name);
  v.col("ordinal_position", oid::int4)
    .col("column_default", oid::text)
    .col("is_nullable", oid::text)
    .col("data_type", oid::text)
    .col("character_maximum_length", oid::int4)
    .col("character_octet_length", oid::int4)
    .col("numeric_precision", oid::int4)
    .col("numeric_precision_radix", oid::int4)
    .col("numeric_scale", oid::int4)
    .col("datetime_precision", oid::int4)
    .col("interval_type", oid::text)
    .col("collation_name", oid::name)
    .col("domain_name", oid::name)
    .col("udt_catalog", oid::name)
    .col("udt_schema", oid::name)
    .col("udt_name", oid::name)
    .col("dtd_identifier", oid::name)
    .col("is_identity", oid::text)
    .col("identity_generation", oid::text)
    .col("is_generated", oid::text)
    .col("generation_expression", oid::text)
    .col("is_updatable", oid::text);
  auto views = view_tables(cat); // a view's columns too (issue 36)
  auto rels = all_tables(cat);
  for (auto& [vn, vt] : views)
    rels.emplace_back(vn, vt);
  for (auto& [n, t] : rels)
    for (size_t i = 0; i < t.columns.size(); ++i) {
      auto& c = t.columns[i];
      std::string len = "NULL", octets = "NULL", prec = "NULL", radix = "NULL",
                  scale = "NULL", dt = "NULL";
      auto o = c.type_oid;
      if ((o == oid::varchar || o == oid::bpchar) && c.typmod >= 4) {
        len = num(c.typmod - 4);
        octets = num(4 * (c.typmod - 4));
      } else if (o == oid::text || o == oid::varchar || o == oid::bpchar) {
        octets = "1073741824";
      }
      if (o == oid::numeric) {
        radix = "10";
        if (c.typmod >= 4) {
          prec = num(((c.typmod - 4) >> 16) & 0xffff);
          scale = num((((c.typmod - 4) & 0x7ff) ^ 1024) - 1024);
        }
      } else if (o == oid::int2 || o == oid::int4 || o == oid::int8) {
        prec = o == oid::int2 ? "16" : o == oid::int4 ? "32" : "64";
        radix = "2", scale = "0";
      } else if (o == oid::float4 || o == oid::float8) {
        prec = o == oid::float4 ? "24" : "53";
        radix = "2";
      } else if (o == oid::date) {
        dt = "0";
      } else if (o == oid::timestamp || o == oid::timestamptz ||
                 o == oid::time) {
        dt = "6";
      }
      bool array = is_array_type(o);
      bool user_type = !array && o >= 16384; // an enum
      std::string data_type = array       ? "ARRAY"
                              : user_type ? "USER-DEFINED"
                                          : type_name(o);
      std::string udt =
        array ? std::string("_") + short_type_name(element_type_of(o))
              : short_type_name(o);
      v.row({lit(info.database),
             lit(schema_of(t)),
             lit(n),
             lit(c.name),
             num(static_cast<int64_t>(i + 1)),
             c.default_text.empty() ? "NULL" : lit(c.default_text),
             c.not_null ? "'NO'" : "'YES'",
             lit(data_type),
             len,
             octets,
             prec,
             radix,
             scale,
             dt,
             "NULL",
             "NULL",
             "NULL",
             lit(info.database),
             user_type ? lit(schema_of(t)) : "'pg_catalog'",
             lit(udt),
             lit(std::to_string(i + 1)),
             "'NO'",
             "NULL",
             "'NEVER'",
             "NULL",
             "'YES'"});
    }
  return v.build();
}

} // namespace

std::optional<view_sql> infoschema_view(const std::string& name,
                                        const catalog& cat,
                                        const session_info& info) {
  auto db = lit(info.database);
  builder v;
  if (name == "columns")
    return columns_view(cat, info);
  if (name == "table_constraints") {
    for (auto* c :
         {"constraint_catalog", "constraint_schema", "constraint_name",
          "table_catalog", "table_schema", "table_name"})
      v.col(c, oid::name);
    v.col("constraint_type", oid::text)
      .col("is_deferrable", oid::text)
      .col("initially_deferred", oid::text)
      .col("enforced", oid::text)
      .col("nulls_distinct", oid::text);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      for (auto& i : t.indexes)
        if ((i.primary || i.unique) && !i.index_only)
          v.row({db, s, lit(i.name), db, s, lit(n),
                 i.primary ? "'PRIMARY KEY'" : "'UNIQUE'", "'NO'", "'NO'",
                 "'YES'", i.primary ? "NULL" : "'YES'"});
      for (auto& f : t.foreign_keys)
        v.row({db, s, lit(f.name), db, s, lit(n), "'FOREIGN KEY'",
               f.deferrable ? "'YES'" : "'NO'", f.deferred ? "'YES'" : "'NO'",
               "'YES'", "NULL"});
      for (auto& c : t.checks)
        v.row({db, s, lit(c.name), db, s, lit(n), "'CHECK'", "'NO'", "'NO'",
               "'YES'", "NULL"});
    }
    return v.build();
  }
  if (name == "key_column_usage") {
    for (auto* c :
         {"constraint_catalog", "constraint_schema", "constraint_name",
          "table_catalog", "table_schema", "table_name", "column_name"})
      v.col(c, oid::name);
    v.col("ordinal_position", oid::int4)
      .col("position_in_unique_constraint", oid::int4);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      auto colname = [&](int pos) {
        return lit(t.columns[static_cast<size_t>(pos)].name);
      };
      for (auto& i : t.indexes)
        if ((i.primary || i.unique) && !i.index_only)
          for (size_t k = 0; k < i.columns.size(); ++k)
            v.row({db, s, lit(i.name), db, s, lit(n), colname(i.columns[k]),
                   num(static_cast<int64_t>(k + 1)), "NULL"});
      for (auto& f : t.foreign_keys) {
        auto* ref = find_stored(cat, f.ref_table);
        auto* key = ref ? referenced_key(*ref, f) : nullptr;
        for (size_t k = 0; k < f.columns.size(); ++k) {
          std::string pos = "NULL";
          if (key)
            for (size_t j = 0; j < key->columns.size(); ++j)
              if (key->columns[j] == f.ref_columns[k])
                pos = num(static_cast<int64_t>(j + 1));
          v.row({db, s, lit(f.name), db, s, lit(n), colname(f.columns[k]),
                 num(static_cast<int64_t>(k + 1)), pos});
        }
      }
    }
    return v.build();
  }
  if (name == "constraint_column_usage") {
    for (auto* c :
         {"table_catalog", "table_schema", "table_name", "column_name",
          "constraint_catalog", "constraint_schema", "constraint_name"})
      v.col(c, oid::name);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      for (auto& i : t.indexes)
        if ((i.primary || i.unique) && !i.index_only)
          for (auto pos : i.columns)
            v.row({db, s, lit(n), lit(t.columns[static_cast<size_t>(pos)].name),
                   db, s, lit(i.name)});
      for (auto& f : t.foreign_keys) // the referenced columns
        if (auto* ref = find_stored(cat, f.ref_table))
          for (auto pos : f.ref_columns)
            v.row({db, lit(schema_of(*ref)), lit(local_of(cat, ref->name)),
                   lit(ref->columns[static_cast<size_t>(pos)].name), db, s,
                   lit(f.name)});
      for (auto& c : t.checks)
        for (auto& col : t.columns)
          if (c.sql.find(json_path(col.name)) != std::string::npos)
            v.row({db, s, lit(n), lit(col.name), db, s, lit(c.name)});
    }
    return v.build();
  }
  if (name == "referential_constraints") {
    for (auto* c : {"constraint_catalog", "constraint_schema",
                    "constraint_name", "unique_constraint_catalog",
                    "unique_constraint_schema", "unique_constraint_name"})
      v.col(c, oid::name);
    v.col("match_option", oid::text)
      .col("update_rule", oid::text)
      .col("delete_rule", oid::text);
    for (auto& [n, t] : all_tables(cat))
      for (auto& f : t.foreign_keys) {
        auto* ref = find_stored(cat, f.ref_table);
        auto* key = ref ? referenced_key(*ref, f) : nullptr;
        auto s = lit(schema_of(t));
        v.row({db, s, lit(f.name), db, ref ? lit(schema_of(*ref)) : s,
               key ? lit(key->name) : "NULL",
               f.match == 'f' ? "'FULL'" : "'NONE'", rule(f.on_update),
               rule(f.on_delete)});
      }
    return v.build();
  }
  if (name == "check_constraints") {
    for (auto* c :
         {"constraint_catalog", "constraint_schema", "constraint_name"})
      v.col(c, oid::name);
    v.col("check_clause", oid::text);
    for (auto& [n, t] : all_tables(cat))
      for (auto& c : t.checks)
        v.row({db, lit(schema_of(t)), lit(c.name), lit(c.text)});
    return v.build();
  }
  if (name == "sequences") {
    for (auto* c : {"sequence_catalog", "sequence_schema", "sequence_name"})
      v.col(c, oid::name);
    v.col("data_type", oid::text)
      .col("numeric_precision", oid::int4)
      .col("start_value", oid::text)
      .col("minimum_value", oid::text)
      .col("maximum_value", oid::text)
      .col("increment", oid::text)
      .col("cycle_option", oid::text);
    for (auto& q : all_sequences(cat))
      v.row({db, lit(q.schema), lit(q.name), lit(type_name(q.type)),
             q.type == oid::int2   ? "16"
             : q.type == oid::int4 ? "32"
                                   : "64",
             lit(std::to_string(q.start)), lit(std::to_string(q.min)),
             lit(std::to_string(q.max)), lit(std::to_string(q.increment)),
             q.cycle ? "'YES'" : "'NO'"});
    return v.build();
  }
  if (name == "views") {
    for (auto* c : {"table_catalog", "table_schema", "table_name"})
      v.col(c, oid::name);
    v.col("view_definition", oid::text).col("check_option", oid::text);
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql::catv
