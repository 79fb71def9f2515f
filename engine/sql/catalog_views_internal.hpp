#pragma once
/// Shared pieces of the catalog views (catalog_views*.cpp): the VALUES
/// builder, literal helpers and the table/sequence enumeration every view
/// derives its rows from, so oids agree between pg_class, pg_index,
/// pg_constraint, pg_sequence and pg_depend.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/sql/catalog_views.hpp"
#include "engine/sql/pg_types.hpp"

namespace themis::sql::catv {

constexpr uint32_t public_ns = 2200, catalog_ns = 11, info_ns = 13000;
/// pg_class's, pg_constraint's, pg_namespace's … own oids (classid in
/// pg_depend and pg_description).
constexpr uint32_t pg_class_oid = 1259, pg_constraint_oid = 2606,
                   pg_namespace_oid = 2615, pg_type_oid = 1247,
                   pg_attrdef_oid = 2604;

struct builder {
  std::vector<column> cols;
  std::vector<std::vector<std::string>> rows;

  builder& col(const char* name, uint32_t type) {
    cols.push_back({name, type});
    return *this;
  }
  void row(std::vector<std::string> r) { rows.push_back(std::move(r)); }
  view_sql build() const;
};

inline std::string lit(const std::string& s) {
  return quote_literal(s);
}
inline std::string num(int64_t v) {
  return std::to_string(v);
}
inline std::string b(bool v) {
  return v ? "1" : "0";
}
/// A SQL int2[] / int2vector / oidvector value (stored as a JSON array)
/// of 1-based column numbers.
std::string attnums(const std::vector<int>& cols);

uint32_t index_oid(const table_def& t, const index_def& i);

using table_ref = std::pair<const std::string&, const table_def&>;
/// The permanent tables, then the session's temp tables.
std::vector<table_ref> all_tables(const catalog& cat);
std::string schema_of(const table_def& t);
uint32_t ns_of(const table_def& t);
const char* persistence(const table_def& t);
const char* short_type_name(uint32_t o);

/// A sequence as pg_class/pg_sequence show it: one per serial column
/// (named <table>_<column>_seq, owned by the column).
struct sequence_info {
  std::string name; ///< local name
  uint32_t oid = 0;
  uint32_t ns = 0;
  std::string schema;
  uint32_t type = 0; ///< int2, int4 or int8
  uint32_t owner_table = 0;
  int owner_column = 0; ///< 1-based; 0: not owned
  std::string key;      ///< the sql_sequences row's name
  // options (CREATE SEQUENCE, issue 36; a serial's are the defaults)
  int64_t start = 1, increment = 1, min = 1, max = INT64_MAX, cache = 1;
  bool cycle = false;
  bool temp = false;
  char deptype = 'a'; ///< pg_depend on its column: 'a' owned, 'i' identity
};
std::vector<sequence_info> all_sequences(const catalog& cat);
int64_t sequence_max(uint32_t type);

inline bool collatable(uint32_t type) {
  return type == oid::text || type == oid::varchar || type == oid::bpchar ||
         type == oid::name;
}

/// pg_proc's rows for user functions (catalog_views_proc.cpp, issue 36).
void proc_rows(const catalog& cat, builder& v);
/// pg_language's oid of a language name.
uint32_t language_oid(const std::string& language);

/// The views split out of catalog_views.cpp (nullopt: not theirs).
std::optional<view_sql> attribute_view(const std::string& name,
                                       const catalog& cat);
std::optional<view_sql> relation_view(const std::string& name,
                                      const catalog& cat,
                                      const session_info& info);
std::optional<view_sql> type_view(const std::string& name, const catalog& cat);
/// information_schema's columns and constraint views
/// (catalog_views_infoschema.cpp).
std::optional<view_sql> infoschema_view(const std::string& name,
                                        const catalog& cat,
                                        const session_info& info);
/// pg_database (catalog_views_db.cpp, issue 36).
std::optional<view_sql> database_view(const std::string& name,
                                      const session_info& info);
/// The catalogs pg_dump reads that have no rows here (pg_init_privs,
/// pg_opclass, pg_ts_*, pg_foreign_*, pg_publication …) with PostgreSQL
/// 15's columns, and pg_description with the comments (COMMENT ON)
/// (catalog_views_dump.cpp).
std::optional<view_sql> dump_view(const std::string& name, const catalog& cat);
/// Names dump_view answers, and the other pg_catalog relations pg_dump
/// names without a schema (pg_language, pg_trigger, pg_rewrite …).
bool is_dump_catalog(const std::string& name);
/// pg_depend rows of column defaults that call nextval('seq'): the
/// default depends on the sequence ('n'), which lets pg_dump put it after
/// the sequence it creates (catalog_views_dump.cpp).
void add_default_depends(builder& v, const catalog& cat);
std::optional<view_sql> role_view(const std::string& name, const catalog& cat,
                                  const session_info& info);

} // namespace themis::sql::catv
