#pragma once
/// Validation (October 2021, section 5): every rule, with graphql-js's
/// messages where sensible, plus the server's static limits. Pure; the work
/// of every rule is bounded (OverlappingFieldsCanBeMerged stops after
/// max_merge_comparisons and reports a limit error).

#include <cstddef>
#include <vector>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/error.hpp"
#include "engine/graphql/schema.hpp"

namespace themis::graphql {

struct validate_limits {
  std::size_t max_depth = 15;         ///< field nesting, fragments expanded
  std::size_t max_aliases = 30;       ///< aliased fields per operation
  std::size_t max_complexity = 10000; ///< static cost (see docs/graphql.md)
  std::size_t max_errors = 100;       ///< validation stops after this many
  std::size_t max_merge_comparisons = 100000; ///< field-merging work bound
  /// List multiplier used when a list field has no `first`/`limit`/`last`
  /// argument; the argument's value (literal or variable) otherwise.
  std::size_t default_list_size = 10;
  bool introspection = true; ///< false: __schema / __type are refused
};

/// All errors found (empty = valid). Limits are only checked when the
/// document passed the spec rules (as graphql-js custom rules would see
/// it). `variables` is optional: with it, list sizes given by variables
/// count at their value in the complexity.
std::vector<error> validate(const schema& s, const document& doc,
                            const validate_limits& limits = {},
                            const nlohmann::json* variables = nullptr);

/// Static complexity of one operation (used by validate; exposed for the
/// glue's metrics and tests). Saturates at SIZE_MAX.
std::size_t operation_complexity(const schema& s, const document& doc,
                                 const operation_definition& op,
                                 const validate_limits& limits,
                                 const nlohmann::json* variables = nullptr);

} // namespace themis::graphql
