#pragma once
/// AQL parser: text → resolved query tree. Variables are bound to slots,
/// functions are checked against the library (name and arity), and every
/// error carries the line and column of the offending token.

#include <string_view>

#include "engine/aql/ast.hpp"

namespace themis::aql {

/// Throws aql_error (parse, semantic or unknown_function).
parsed_query parse(std::string_view text);

} // namespace themis::aql
