/// information_schema's constraint views (issue 36): table_constraints,
/// key_column_usage, constraint_column_usage, referential_constraints,
/// as PostgreSQL 15 fills them for primary keys, UNIQUE constraints,
/// foreign keys and CHECK constraints (peewee's and other ORMs'
/// introspection). NOT NULL's implicit CHECK rows are not listed.

#include <algorithm>

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql::catv {

namespace {

const char* rule(char a) {
  switch (a) {
    case 'c':
      return "'CASCADE'";
    case 'n':
      return "'SET NULL'";
    case 'd':
      return "'SET DEFAULT'";
    case 'r':
      return "'RESTRICT'";
    default:
      return "'NO ACTION'";
  }
}

/// The name of the unique constraint (or index) `fk` references.
std::string referenced_key(const catalog& cat, const foreign_key_def& fk) {
  for (auto& [n, r] : all_tables(cat))
    if (r.name == fk.ref_table)
      for (auto& i : r.indexes)
        if (i.unique &&
            std::is_permutation(i.columns.begin(), i.columns.end(),
                                fk.ref_columns.begin(), fk.ref_columns.end()))
          return i.name;
  return {};
}

const table_def* table_named(const catalog& cat, const std::string& stored,
                             std::string& local) {
  for (auto& [n, r] : all_tables(cat))
    if (r.name == stored) {
      local = n;
      return &r;
    }
  return nullptr;
}

} // namespace

std::optional<view_sql> info_schema_view(const std::string& name,
                                         const catalog& cat,
                                         const session_info& info) {
  builder v;
  auto db = lit(info.database);
  auto head = [&](bool table_first) {
    if (table_first)
      v.col("table_catalog", oid::name)
        .col("table_schema", oid::name)
        .col("table_name", oid::name)
        .col("column_name", oid::name);
    v.col("constraint_catalog", oid::name)
      .col("constraint_schema", oid::name)
      .col("constraint_name", oid::name);
  };
  if (name == "table_constraints") {
    head(false);
    v.col("table_catalog", oid::name)
      .col("table_schema", oid::name)
      .col("table_name", oid::name)
      .col("constraint_type", oid::varchar)
      .col("is_deferrable", oid::varchar)
      .col("initially_deferred", oid::varchar)
      .col("enforced", oid::varchar)
      .col("nulls_distinct", oid::varchar);
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
    head(false);
    v.col("table_catalog", oid::name)
      .col("table_schema", oid::name)
      .col("table_name", oid::name)
      .col("column_name", oid::name)
      .col("ordinal_position", oid::int4)
      .col("position_in_unique_constraint", oid::int4);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      for (auto& i : t.indexes)
        if ((i.primary || i.unique) && !i.index_only)
          for (size_t k = 0; k < i.columns.size(); ++k)
            v.row({db, s, lit(i.name), db, s, lit(n),
                   lit(t.columns[static_cast<size_t>(i.columns[k])].name),
                   num(static_cast<int64_t>(k + 1)), "NULL"});
      for (auto& f : t.foreign_keys)
        for (size_t k = 0; k < f.columns.size(); ++k)
          v.row({db, s, lit(f.name), db, s, lit(n),
                 lit(t.columns[static_cast<size_t>(f.columns[k])].name),
                 num(static_cast<int64_t>(k + 1)),
                 num(static_cast<int64_t>(k + 1))});
    }
    return v.build();
  }
  if (name == "constraint_column_usage") {
    head(true);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      for (auto& i : t.indexes)
        if ((i.primary || i.unique) && !i.index_only)
          for (auto c : i.columns)
            v.row({db, s, lit(n), lit(t.columns[static_cast<size_t>(c)].name),
                   db, s, lit(i.name)});
      for (auto& f : t.foreign_keys) {
        std::string rn;
        auto* r = table_named(cat, f.ref_table, rn);
        if (!r)
          continue;
        for (auto c : f.ref_columns)
          v.row({db, lit(schema_of(*r)), lit(rn),
                 lit(r->columns[static_cast<size_t>(c)].name), db, s,
                 lit(f.name)});
      }
      for (auto& c : t.checks)
        for (auto& col : t.columns)
          if (c.sql.find(json_path(col.name)) != std::string::npos)
            v.row({db, s, lit(n), lit(col.name), db, s, lit(c.name)});
    }
    return v.build();
  }
  if (name == "referential_constraints") {
    head(false);
    v.col("unique_constraint_catalog", oid::name)
      .col("unique_constraint_schema", oid::name)
      .col("unique_constraint_name", oid::name)
      .col("match_option", oid::varchar)
      .col("update_rule", oid::varchar)
      .col("delete_rule", oid::varchar);
    for (auto& [n, t] : all_tables(cat)) {
      if (!t.typed)
        continue;
      auto s = lit(schema_of(t));
      for (auto& f : t.foreign_keys)
        v.row({db, s, lit(f.name), db, s, lit(referenced_key(cat, f)),
               f.match == 'f' ? "'FULL'" : "'NONE'", rule(f.on_update),
               rule(f.on_delete)});
    }
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql::catv
