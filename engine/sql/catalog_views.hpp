#pragma once
/// pg_catalog and information_schema, generated from the live catalog on
/// each use (no hard-coded rows about user tables): enough for psql's \dt,
/// \d, \dn, \l and for drivers' type look-ups.

#include <optional>
#include <string>
#include <vector>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/translator.hpp"

namespace themis::sql {

struct view_sql {
  std::string sql;
  std::vector<column> cols;
};

/// Names that resolve to a catalog view without a schema (pg_class …).
bool is_catalog_view(const std::string& name);
/// The view `schema.name` (schema may be empty), or nullopt if unknown.
std::optional<view_sql> catalog_view(const std::string& schema,
                                     const std::string& name,
                                     const catalog& cat,
                                     const session_info& info);

} // namespace themis::sql
