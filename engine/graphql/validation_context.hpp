#pragma once
/// State shared by the validation rules (validator*.cpp, rules_*.cpp).
/// Internal to engine/graphql.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/graphql/validator.hpp"

namespace themis::graphql {

/// A variable used where a value of `expected` type goes (for
/// VariablesInAllowedPosition); `location_has_default`: the argument or
/// input field there has a default value.
struct variable_usage {
  std::string name;
  type_ref expected;
  bool location_has_default = false;
  location loc;
};

/// What one operation or fragment definition uses directly.
struct definition_uses {
  std::vector<variable_usage> variables;
  std::vector<std::pair<std::string, location>> spreads; ///< fragment names
};

struct validation_context {
  const schema& s;
  const document& doc;
  const validate_limits& limits;
  std::vector<error> errors;
  std::map<std::string, const fragment_definition*>
    fragments;                                 ///< first of each name
  std::map<const void*, definition_uses> uses; ///< operation/fragment -> uses
  definition_uses* current = nullptr;

  bool full() const { return errors.size() >= limits.max_errors; }
  void report(std::string msg, std::vector<location> locs) {
    if (!full())
      errors.push_back(
        {std::move(msg), std::move(locs), nullptr, codes::validation});
  }
};

/// Type-aware walk of every operation and fragment: fields, arguments,
/// values, directives, fragment spreads (validator_walk.cpp).
void walk_definitions(validation_context& c);
/// Document-level rules: definitions, operations, fragments, variables
/// (rules_document.cpp).
void check_document_rules(validation_context& c);
/// OverlappingFieldsCanBeMerged, bounded (rules_overlap.cpp).
void check_overlapping_fields(validation_context& c);
/// ValuesOfCorrectType for one literal at a position of type `t` (null:
/// unknown position), graphql-js's wording and locations (rules_values.cpp).
void check_value_literal(validation_context& c, const value& v,
                         const type_ref* t);
/// Depth, aliases, complexity, introspection switch (rules_limits.cpp).
void check_limits(validation_context& c, const nlohmann::json* variables);

} // namespace themis::graphql
