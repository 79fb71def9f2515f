#pragma once
/// AQL LIKE matching, shared by the LIKE() function and the LIKE operator.

#include <string_view>

namespace themis::aql {

/// `%` matches any sequence (also empty), `_` exactly one character, and a
/// backslash makes the next character literal (`\%`, `\_`, `\\`). The whole
/// text must match. Characters are Unicode code points; invalid UTF-8 bytes
/// count as one character each and only match themselves.
bool like_match(std::string_view text, std::string_view pattern,
                bool case_insensitive);

} // namespace themis::aql
