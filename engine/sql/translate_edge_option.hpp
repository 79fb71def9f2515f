#pragma once
/// CREATE TABLE … WITH (themis_type = 'edge') (issue 32, docs/graph.md):
/// the table is an edge collection, its rows must carry `_from` and `_to`
/// document handles (engine/edge_validation.hpp enforces it on every
/// write, SQL included: SQLSTATE 23514).

#include <nlohmann/json_fwd.hpp>

namespace themis::sql {

struct statement;

/// Reads the storage parameter themis_type of a CreateStmt's body (others
/// stay ignored, as before); for 'edge' adds the statement that records
/// the type to `st.ddl`. 22023 for a value other than 'edge'/'document'.
void apply_edge_option(const nlohmann::json& create_body, statement& st);

} // namespace themis::sql
