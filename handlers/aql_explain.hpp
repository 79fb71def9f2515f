#pragma once
/// `explain: true` on POST /query/aql: the parsed query's clauses and, per
/// collection loop, how the engine reads it (which FILTER conditions go
/// down to the SQLite scan, whether it is a key lookup, which attributes
/// it projects) — what the executor will actually do.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/aql/ast.hpp"

namespace themis {

/// ThemisDB's `ast` field: the clauses in order.
nlohmann::json aql_ast_json(const aql::parsed_query& q);
/// ThemisDB's `plan` field: `mode` for the query and one entry per loop.
/// Without the asker, search loops (APPROX_NEAR, FULLTEXT) name no index.
nlohmann::json aql_plan_json(const aql::parsed_query& q);
/// The same, search indexes looked up in the asker's namespace (issue 32):
/// `tenant` ("" global), `all_tenants` a global admin naming stored names.
nlohmann::json aql_plan_json(const aql::parsed_query& q,
                             const std::string& tenant, bool all_tenants);
/// The same, and each collection loop's scan planned by SQLite on the
/// store at `db_path` with `bind` values: `index` names the persistent
/// index it uses (mode "index_scan"), `sqlite_plan` its plan (issue 22).
nlohmann::json aql_plan_json(const aql::parsed_query& q,
                             const std::string& tenant, bool all_tenants,
                             const std::string& db_path,
                             const nlohmann::json& bind);
/// The collection of the query's first FOR over a collection ("" if none):
/// ThemisDB's `table`.
std::string aql_first_collection(const aql::parsed_query& q);

} // namespace themis
