#pragma once
/// Internal to the AQL function library: the table entry type, argument
/// helpers shared by the function families, and UTF-8 helpers. Nothing
/// outside engine/aql/functions*.cpp and like.cpp should include this.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aql/functions.hpp"

namespace themis::aql::fn {

using args_t = std::vector<json>;

/// Implementations may move out of `args`: call_function takes them by
/// non-const reference so that PUSH/APPEND/UNION on large arrays do not
/// copy every element once more.
using impl_t = json (*)(args_t& args);

inline constexpr size_t variadic = SIZE_MAX;

struct entry {
  std::string_view name;
  function_arity arity;
  impl_t impl;
};

/// One table per family; functions.cpp merges and sorts them once.
std::span<const entry> string_functions();
std::span<const entry> array_functions();
std::span<const entry> math_functions();
std::span<const entry> document_functions();
std::span<const entry> misc_functions();
std::span<const entry> date_functions();
/// Vector distances and the index-backed APPROX_NEAR / FULLTEXT (issue 32).
std::span<const entry> vector_functions();

// ---- argument helpers -------------------------------------------------------

/// The i-th argument, or null when the caller passed fewer (optional args).
const json& arg(const args_t& args, size_t i);

/// ArangoDB's getBooleanParameter: absent → `def`, otherwise truthiness.
bool arg_bool(const args_t& args, size_t i, bool def);

/// ArangoDB's toInt64: numbers truncate toward zero, everything else goes
/// through to_number(); out-of-range values clamp instead of overflowing.
int64_t to_int64(const json& v);

/// Elements are compared by AQL order (for std::set / std::sort).
struct json_less {
  bool operator()(const json* a, const json* b) const;
};

/// Position of the first element of `arr` equal to `v` (AQL equality), or
/// SIZE_MAX.
size_t find_in(const json& arr, const json& v);

// ---- UTF-8 ------------------------------------------------------------------

/// Invalid bytes decode to this range (lone low surrogates, which valid
/// UTF-8 can never produce) so they survive a decode/encode round trip and
/// only ever match themselves.
inline constexpr uint32_t raw_byte_base = 0xDC00;

struct utf8_char {
  uint32_t cp;
  size_t len; ///< bytes consumed, 1..4
};

utf8_char utf8_decode(std::string_view s, size_t i);
void utf8_append(std::string& out, uint32_t cp);
std::vector<uint32_t> utf8_code_points(std::string_view s);
/// Byte offset of every code point plus a final entry of s.size().
std::vector<size_t> utf8_offsets(std::string_view s);
size_t utf8_length(std::string_view s);

/// Simple (1:1) case mapping: ASCII, Latin-1, Latin Extended-A, Greek and
/// Cyrillic. Full Unicode (ICU in ArangoDB) is out of scope.
uint32_t lower_cp(uint32_t cp);
uint32_t upper_cp(uint32_t cp);

} // namespace themis::aql::fn
