/// pg_attribute, pg_proc and pg_extension with PostgreSQL 15's columns
/// (issue 36; split from catalog_views_rel.cpp).

#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/catalog_views_view.hpp"
#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_enum.hpp"

namespace themis::sql::catv {

namespace {

/// pg_attribute with PostgreSQL 15's columns (psql's \d+ reads
/// attcompression and attstorage, pg_dump attalign, attbyval …).
view_sql pg_attribute_view(const catalog& cat) {
  builder v;
  v.col("attrelid", oid::oid_t)
    .col("attname", oid::name)
    .col("atttypid", oid::oid_t)
    .col("attstattarget", oid::int4)
    .col("attlen", oid::int2)
    .col("attnum", oid::int2)
    .col("attndims", oid::int4)
    .col("attcacheoff", oid::int4)
    .col("atttypmod", oid::int4)
    .col("attbyval", oid::boolean)
    .col("attalign", oid::char_t)
    .col("attstorage", oid::char_t)
    .col("attcompression", oid::char_t)
    .col("attnotnull", oid::boolean)
    .col("atthasdef", oid::boolean)
    .col("atthasmissing", oid::boolean)
    .col("attidentity", oid::char_t)
    .col("attgenerated", oid::char_t)
    .col("attisdropped", oid::boolean)
    .col("attislocal", oid::boolean)
    .col("attinhcount", oid::int4)
    .col("attcollation", oid::oid_t)
    .col("attacl", oid::text)
    .col("attoptions", oid::text_array)
    .col("attfdwoptions", oid::text_array)
    .col("attmissingval", oid::text);
  auto views = view_tables(cat); // a view's columns too (issue 36)
  auto rels = all_tables(cat);
  for (auto& [vn, vt] : views)
    rels.emplace_back(vn, vt);
  for (auto& [n, t] : rels)
    for (size_t i = 0; i < t.columns.size(); ++i) {
      auto& c = t.columns[i];
      auto len = type_len(c.type_oid);
      // enums are plain, as their pg_type row (pg_dump compares the two)
      const char* storage = len > 0 || is_enum_type(c.type_oid) ? "'p'"
                            : c.type_oid == oid::numeric        ? "'m'"
                                                                : "'x'";
      const char* align = len == 8   ? "'d'"
                          : len == 2 ? "'s'"
                          : len == 1 ? "'c'"
                                     : "'i'";
      v.row({num(t.oid),
             lit(c.name),
             num(c.type_oid),
             "-1",
             num(len),
             num(static_cast<int64_t>(i + 1)),
             is_array_type(c.type_oid) ? "1" : "0",
             "-1",
             num(c.typmod),
             b(len > 0 && len <= 8),
             align,
             storage,
             "''",
             b(c.not_null),
             b(!c.default_text.empty()),
             "0",
             "''",
             "''",
             "0",
             "1",
             "0",
             collatable(c.type_oid) ? "100" : "0",
             "NULL",
             "NULL",
             "NULL",
             "NULL"});
    }
  return v.build();
}

/// pg_proc: PostgreSQL 15's columns; rows for the user functions
/// (catalog_views_proc.cpp; \df).
view_sql pg_proc_view(const catalog& cat) {
  builder v;
  v.col("oid", oid::oid_t)
    .col("proname", oid::name)
    .col("pronamespace", oid::oid_t)
    .col("proowner", oid::oid_t)
    .col("prolang", oid::oid_t)
    .col("procost", oid::float4)
    .col("prorows", oid::float4)
    .col("provariadic", oid::oid_t)
    .col("prosupport", oid::text)
    .col("prokind", oid::char_t)
    .col("prosecdef", oid::boolean)
    .col("proleakproof", oid::boolean)
    .col("proisstrict", oid::boolean)
    .col("proretset", oid::boolean)
    .col("provolatile", oid::char_t)
    .col("proparallel", oid::char_t)
    .col("pronargs", oid::int2)
    .col("pronargdefaults", oid::int2)
    .col("prorettype", oid::oid_t)
    .col("proargtypes", oid::oidvector)
    .col("proallargtypes", oid::oid_array)
    .col("proargmodes", oid::char_array)
    .col("proargnames", oid::text_array)
    .col("proargdefaults", oid::text)
    .col("protrftypes", oid::oid_array)
    .col("prosrc", oid::text)
    .col("probin", oid::text)
    .col("prosqlbody", oid::text)
    .col("proconfig", oid::text_array)
    .col("proacl", oid::text);
  proc_rows(cat, v); // issue 36
  return v.build();
}

/// pg_extension: plpgsql, as in every PostgreSQL 15 database (DO blocks
/// run its subset here).
view_sql pg_extension_view() {
  builder v;
  v.col("oid", oid::oid_t)
    .col("extname", oid::name)
    .col("extowner", oid::oid_t)
    .col("extnamespace", oid::oid_t)
    .col("extrelocatable", oid::boolean)
    .col("extversion", oid::text)
    .col("extconfig", oid::oid_array)
    .col("extcondition", oid::text_array);
  v.row({"13655", "'plpgsql'", "10", num(catalog_ns), "0", "'1.0'", "NULL",
         "NULL"});
  return v.build();
}

} // namespace

std::optional<view_sql> attribute_view(const std::string& name,
                                       const catalog& cat) {
  if (name == "pg_attribute")
    return pg_attribute_view(cat);
  if (name == "pg_proc")
    return pg_proc_view(cat);
  if (name == "pg_extension")
    return pg_extension_view();
  return std::nullopt;
}

} // namespace themis::sql::catv
