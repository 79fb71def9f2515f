#pragma once
/// Parser for GraphQL executable documents (October 2021, section 2 and
/// appendix B). Pure: no I/O, no exceptions escape, bounded recursion.

#include <cstddef>
#include <optional>
#include <string_view>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/error.hpp"

namespace themis::graphql {

/// Checked before work is done: bytes up front, tokens as they are lexed,
/// depth before every recursive descent (selection sets, values, types).
struct parse_limits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 64;
  std::size_t max_tokens = 100000;
};

struct parse_result {
  std::optional<document> doc; ///< set on success
  std::optional<error> err;    ///< set on failure ("Syntax Error: ...")
  bool ok() const { return doc.has_value(); }
};

parse_result parse(std::string_view source, const parse_limits& limits = {});

/// Parses a single value literal (`{a: [1, $v]}`), for tests and for
/// default values supplied as text. Same limits.
std::optional<value> parse_value(std::string_view source, error& err,
                                 const parse_limits& limits = {});

} // namespace themis::graphql
