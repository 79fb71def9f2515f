#pragma once
/// Input and result coercion (sections 3.5, 3.9, 3.10, 6.4.3) shared by the
/// validator and the executor. Internal to engine/graphql.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/schema.hpp"

namespace themis::graphql {

/// Literal to JSON for an input type. `variables` null: the literal is being
/// validated statically; variable references are accepted (their use is
/// checked by VariablesInAllowedPosition) and yield null. `why` explains a
/// rejection in graphql-js's words.
std::optional<nlohmann::json> coerce_literal(const schema& s, const value& v,
                                             const type_ref& t,
                                             const nlohmann::json* variables,
                                             std::string& why);

/// Request JSON (variables) to coerced JSON for an input type.
std::optional<nlohmann::json> coerce_json_input(const schema& s,
                                                const nlohmann::json& v,
                                                const type_ref& t,
                                                std::string& why);

/// Result coercion of a leaf value (scalar or enum); nullopt: field error.
std::optional<nlohmann::json>
serialize_leaf(const type_def& t, const nlohmann::json& v, std::string& why);

/// GraphQL literal text of a coerced JSON value (introspection defaultValue).
std::string print_literal(const schema& s, const nlohmann::json& v,
                          const type_ref& t);

/// Printed literal for messages ("Expected value of type ..., found X.").
std::string print_ast_value(const value& v);

} // namespace themis::graphql
