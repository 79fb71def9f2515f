#pragma once
/// The parts of an untrusted JSON Schema (engine/json_schema.hpp) that
/// valijson would run unsafely, checked and replaced by our own
/// constraints: `pattern` on RE2 (linear time, no recursion per input
/// character; ECMA-262 look-around and back-references are refused when
/// the schema is stored, not failed later), `format` by hand-written
/// scanners, `uniqueItems` by sorting canonical forms (n log n, not n²).

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/json_schema.hpp"

namespace valijson {
class SchemaParser;
}

namespace themis::engine {

/// Walks `schema` (a user's) keyword by keyword, renaming `pattern`,
/// `format` and `uniqueItems` to the keywords add_safe_keywords builds;
/// refuses `$ref`, `patternProperties` and patterns RE2 cannot run. The
/// depth and size limits are checked by the caller before. Returns what
/// is wrong ("#/properties/a/pattern: …"), or "" when it may be compiled.
std::string make_schema_safe(nlohmann::json& schema,
                             const schema_limits& limits);

/// Teaches `parser` the renamed keywords.
void add_safe_keywords(valijson::SchemaParser& parser);

/// True if `s` is a `format` value's valid instance (date, time,
/// date-time, uuid, ipv4, ipv6, email; an unknown format holds).
bool format_holds(const std::string& format, const std::string& s);

} // namespace themis::engine
