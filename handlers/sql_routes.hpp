#pragma once
/// SQL over HTTP (issue 29, docs/rest-api.md): POST /api/v1/query/sql runs
/// one read-only statement in PostgreSQL's dialect through the engine the
/// PostgreSQL port uses (handlers/sql_readonly.hpp), with the PG port's
/// scope and tenant rules. The web console's SQL and PostgreSQL pages use
/// it.

#include "handlers/route_context.hpp"

namespace themis {

class route_registry;

void query_sql(route_context& ctx);

void register_sql_routes(route_registry& reg);

} // namespace themis
