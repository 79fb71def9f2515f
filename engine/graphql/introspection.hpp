#pragma once
/// Introspection (October 2021, section 4): the __Schema/__Type/... types
/// with their resolvers, and the meta fields __schema, __type, __typename.
/// Internal to engine/graphql.

#include <string_view>

#include "engine/graphql/schema.hpp"

namespace themis::graphql {

/// Adds the introspection types (called by schema's constructor).
void add_introspection_types(schema& s);

/// Field lookup including the meta fields: __typename on every composite
/// type, __schema and __type on the query root type.
const field_def* find_field(const schema& s, const type_def& parent,
                            std::string_view name);

bool is_meta_schema_field(std::string_view name); ///< __schema / __type

/// The introspection value of a type reference (__Type).
nlohmann::json type_value(const type_ref& t);

} // namespace themis::graphql
