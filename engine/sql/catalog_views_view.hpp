#pragma once
/// The catalog rows of views (issue 36): pg_class relkind 'v' (in
/// catalog_views_rel.cpp), their columns in pg_attribute and
/// information_schema.columns, pg_views, information_schema.views,
/// pg_rewrite's _RETURN rules and their pg_depend rows (what pg_dump
/// orders views by), pg_get_viewdef.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql::catv {

/// Each view as a table_def (stored name, oid, columns) under the name the
/// session sees, for the catalogs that list columns.
std::vector<std::pair<std::string, table_def>> view_tables(const catalog& cat);
/// pg_views, information_schema.views, pg_rewrite; nullopt for others.
std::optional<view_sql> view_catalog_view(const std::string& schema,
                                          const std::string& name,
                                          const catalog& cat,
                                          const session_info& info);
/// pg_depend: each view's rule is part of the view ('i') and depends on
/// what the view reads ('n').
void add_view_depends(builder& v, const catalog& cat);
/// The oid of a view's _RETURN rule.
uint32_t view_rule_oid(const view_def& v);

} // namespace themis::sql::catv

namespace themis::sql {

/// pg_get_viewdef(arg): SQLite over `arg` (an oid, or a name when
/// `arg_type` is text) giving the definition as PostgreSQL prints it.
std::string viewdef_sql(const catalog& cat, const std::string& arg,
                        uint32_t arg_type, const session_info& info);
/// The definition a session sees: with public.t for relations when public
/// is not on its search_path (pg_dump sets it to ''), as PostgreSQL prints.
const std::string& shown_definition(const view_def& v,
                                    const session_info& info);
/// True if PostgreSQL would update the view automatically
/// (translate_view_dml.cpp).
bool view_auto_updatable(const view_def& v);

} // namespace themis::sql
