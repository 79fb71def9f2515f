/// pg_roles, pg_user, pg_authid, pg_auth_members (issue 36): the one
/// login role a session authenticates as, a superuser as the server's
/// configured user is, with every column PostgreSQL 15 has (psql's \du
/// reads rolinherit, rolconnlimit, rolvaliduntil, rolbypassrls …).

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql::catv {

std::optional<view_sql> role_view(const std::string& name, const catalog&,
                                  const session_info& info) {
  builder v;
  if (name == "pg_roles" || name == "pg_authid") {
    if (name == "pg_authid")
      v.col("oid", oid::oid_t);
    v.col("rolname", oid::name)
      .col("rolsuper", oid::boolean)
      .col("rolinherit", oid::boolean)
      .col("rolcreaterole", oid::boolean)
      .col("rolcreatedb", oid::boolean)
      .col("rolcanlogin", oid::boolean)
      .col("rolreplication", oid::boolean);
    if (name == "pg_authid")
      v.col("rolbypassrls", oid::boolean);
    v.col("rolconnlimit", oid::int4)
      .col("rolpassword", oid::text)
      .col("rolvaliduntil", oid::timestamptz);
    if (name == "pg_roles")
      v.col("rolbypassrls", oid::boolean)
        .col("rolconfig", oid::text_array)
        .col("oid", oid::oid_t);
    if (name == "pg_authid")
      v.row({"10", lit(info.user), "1", "1", "1", "1", "1", "1", "1", "-1",
             "NULL", "NULL"});
    else
      v.row({lit(info.user), "1", "1", "1", "1", "1", "1", "-1", "'********'",
             "NULL", "1", "NULL", "10"});
    return v.build();
  }
  if (name == "pg_user") {
    v.col("usename", oid::name)
      .col("usesysid", oid::oid_t)
      .col("usecreatedb", oid::boolean)
      .col("usesuper", oid::boolean)
      .col("userepl", oid::boolean)
      .col("usebypassrls", oid::boolean)
      .col("passwd", oid::text)
      .col("valuntil", oid::timestamptz)
      .col("useconfig", oid::text_array);
    v.row(
      {lit(info.user), "10", "1", "1", "1", "1", "'********'", "NULL", "NULL"});
    return v.build();
  }
  if (name == "pg_auth_members") {
    v.col("roleid", oid::oid_t)
      .col("member", oid::oid_t)
      .col("grantor", oid::oid_t)
      .col("admin_option", oid::boolean);
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql::catv
