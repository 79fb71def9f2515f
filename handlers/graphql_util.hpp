#pragma once
/// Helpers the GraphQL resolvers share: read-only AQL on a worker thread,
/// AQL errors as field errors, selection look-ahead.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/aql/aql_error.hpp"
#include "engine/graphql/ast.hpp"
#include "engine/graphql/resolver.hpp"

namespace themis::gql {

class operation_run;

/// Runs `text` read-only (a write is refused) for the run's principal,
/// bounded by the run's deadline and query.max_rows; the rows as an
/// array. Blocking: worker threads only. Throws aql::aql_error.
nlohmann::json run_aql(const operation_run& run, const std::string& text,
                       const nlohmann::json& binds);

/// An AQL error as a field error (extensions.code AQL_<KIND>).
graphql::field_result aql_field_error(const aql::aql_error& e);

/// Whether `set` selects a field named `name` directly (through inline
/// fragments and fragment spreads, not into sub-selections).
bool selects(const graphql::document& doc, const graphql::selection_set& set,
             const std::string& name, int depth = 0);

} // namespace themis::gql
