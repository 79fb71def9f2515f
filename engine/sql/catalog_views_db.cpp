/// pg_database (issue 36): the databases that always exist (postgres,
/// template1, template0, the configured pg.database), then those made
/// with CREATE DATABASE, read live from the `sql_databases` registry so a
/// database created or dropped by another session shows at once. A
/// tenant's session lists its own database instead of the registry.

#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/sql_databases.hpp"

namespace themis::sql::catv {

namespace {

constexpr const char* template_acl = "'{=c/postgres,postgres=CTc/postgres}'";

/// One row in PostgreSQL 15's column order.
std::vector<std::string> row(uint32_t oid, const std::string& name,
                             bool is_template, bool allow_conn,
                             const char* acl = "NULL") {
  return {num(oid),      lit(name), "10",   "6", "'c'",  b(is_template),
          b(allow_conn), "-1",      "716",  "1", "1663", "'C.UTF-8'",
          "'C.UTF-8'",   "NULL",    "NULL", acl};
}

} // namespace

std::optional<view_sql> database_view(const std::string& name,
                                      const session_info& info) {
  if (name != "pg_database")
    return std::nullopt;
  builder v;
  v.col("oid", oid::oid_t)
    .col("datname", oid::name)
    .col("datdba", oid::oid_t)
    .col("encoding", oid::int4)
    .col("datlocprovider", oid::char_t)
    .col("datistemplate", oid::boolean)
    .col("datallowconn", oid::boolean)
    .col("datconnlimit", oid::int4)
    .col("datfrozenxid", oid::oid_t)
    .col("datminmxid", oid::oid_t)
    .col("dattablespace", oid::oid_t)
    .col("datcollate", oid::text)
    .col("datctype", oid::text)
    .col("daticulocale", oid::text)
    .col("datcollversion", oid::text)
    .col("datacl", oid::text);
  v.row(row(postgres_oid, "postgres", false, true));
  v.row(row(template1_oid, "template1", true, true, template_acl));
  v.row(row(template0_oid, "template0", true, false, template_acl));
  auto& configured = info.default_database;
  if (configured != "postgres" && configured != "template1" &&
      configured != "template0")
    v.row(row(default_database_oid, configured, false, true));
  if (info.tenant) {
    // a tenant's database is its namespace ("acme."); it sees no other
    auto own = info.ns.substr(0, info.ns.empty() ? 0 : info.ns.size() - 1);
    if (!own.empty() && own != configured && own != "postgres" &&
        own != "template1")
      v.row(row(table_oid("database:" + own), own, false, true));
    return v.build();
  }
  auto out = v.build();
  // the registry's rows, in the same columns
  out.sql = "SELECT * FROM (" + out.sql +
            ") UNION ALL SELECT json_extract(def, '$.oid'), name, 10, 6, "
            "'c', coalesce(json_extract(def, '$.is_template'), 0), "
            "coalesce(json_extract(def, '$.allow_connections'), 1), "
            "coalesce(json_extract(def, '$.connection_limit'), -1), 716, 1, "
            "1663, coalesce(json_extract(def, '$.collate'), 'C.UTF-8'), "
            "coalesce(json_extract(def, '$.ctype'), 'C.UTF-8'), NULL, NULL, "
            "NULL FROM sql_databases";
  return out;
}

} // namespace themis::sql::catv
