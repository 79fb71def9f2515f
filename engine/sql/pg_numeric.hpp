#pragma once
/// PostgreSQL's `numeric`, exact (issue 36): an arbitrary-precision decimal
/// with a display scale, NaN and ±Infinity, with the arithmetic, rounding,
/// result scales and text/binary forms of PostgreSQL 15. Pure: no SQLite,
/// no CAF, so it can be unit-tested and fuzzed on its own. Errors are
/// sql_error with PostgreSQL's SQLSTATE and message.
///
/// Limits are PostgreSQL's: at most 131072 digits before the decimal point
/// and 16383 after it (22003 "value overflows numeric format" beyond).
/// They also bound the work of one operation: a product of two maximal
/// operands is ~15k×15k base-1e9 limbs, tens of milliseconds.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sql/sql_types.hpp"

namespace themis::sql::num {

constexpr int max_int_digits = 131072; ///< digits before the point
constexpr int max_scale = 16383;       ///< digits after the point
constexpr int max_div_scale = 1000;    ///< NUMERIC_MAX_DISPLAY_SCALE

struct numeric {
  enum class kind : uint8_t { finite, nan, pinf, ninf };
  kind k = kind::finite;
  bool neg = false;          ///< finite only; never set on zero
  std::vector<uint32_t> mag; ///< base 1e9, least significant first; empty: 0
  int32_t scale = 0;         ///< display scale: value = mag × 10^-scale

  bool finite() const { return k == kind::finite; }
  bool is_zero() const { return finite() && mag.empty(); }
};

/// numeric_in: spaces, sign, digits, point, exponent, NaN, [+-]Infinity /
/// inf (any case). 22P02 for bad syntax, 22003 beyond the limits.
numeric parse(std::string_view text);
/// numeric_out: "12.50", "NaN", "Infinity", "-Infinity".
std::string to_string(const numeric& x);
/// Canonical text of any numeric text (parse then to_string).
inline std::string canonical(std::string_view text) {
  return to_string(parse(text));
}

numeric from_int(int64_t v);
/// float8 → numeric as PostgreSQL: 15 significant digits (%.15g).
numeric from_double(double d);
double to_double(const numeric& x);
/// numeric → int2/4/8, rounded half away from zero; `type` is "smallint",
/// "integer" or "bigint" for the 22003 message; NaN/Infinity give 0A000.
int64_t to_int(const numeric& x, const char* type = "bigint");

numeric add(const numeric& a, const numeric& b);
numeric sub(const numeric& a, const numeric& b);
numeric mul(const numeric& a, const numeric& b);
/// Division with PostgreSQL's select_div_scale result scale; 22012.
numeric div(const numeric& a, const numeric& b);
/// Division to an explicit scale (rounded), as avg and tests need.
numeric div_scale(const numeric& a, const numeric& b, int scale);
numeric mod(const numeric& a, const numeric& b);
numeric negate(numeric x);
numeric abs(numeric x);
/// round(x, s) / trunc(x, s): s may be negative; result scale max(s, 0).
/// (SQL's round/trunc clamp s to ±2000 first, as PostgreSQL does.)
numeric round(const numeric& x, int s);
numeric trunc(const numeric& x, int s);
numeric ceil(const numeric& x);
numeric floor(const numeric& x);
numeric sign(const numeric& x);

/// Total order of PostgreSQL's numeric btree: -Infinity < numbers <
/// Infinity < NaN, NaN = NaN; scale is ignored (1.0 = 1.00).
int cmp(const numeric& a, const numeric& b);

/// The typmod of numeric(p, s): ((p << 16) | s) + 4; -1 none.
inline int32_t make_typmod(int p, int s) {
  return ((p << 16) | (s & 0xffff)) + 4;
}
/// numeric(p) / numeric(p, s) → typmod; 22023 as PostgreSQL for a bad
/// precision or scale; -1 for no modifiers.
int32_t typmod_in(const std::vector<int64_t>& mods);
/// "(12,2)" for format_type, "" for -1.
std::string typmod_text(int32_t typmod);
/// Rounds `x` to the typmod's scale and checks its precision: 22003
/// "numeric field overflow" with PostgreSQL's DETAIL (behind "\x1eD", the
/// error_trailer form the front-end splits).
numeric apply_typmod(const numeric& x, int32_t typmod);

/// NUMERIC binary wire format: int16 ndigits, int16 weight, uint16 sign,
/// uint16 dscale, then ndigits base-10000 int16 digits.
std::string to_binary(const numeric& x);
/// numeric_recv: 22P03 for bad length/sign/digit/scale; digits beyond
/// dscale are cut as PostgreSQL does.
numeric from_binary(std::string_view b);

} // namespace themis::sql::num

namespace themis::sql {
/// Any stored value (INTEGER, REAL as float8 → numeric, TEXT parsed:
/// 22P02) as an exact numeric; defined in pg_types.cpp. Declared here, not
/// in pg_types.hpp, so that no `num` name leaks into files that do not
/// use it (catalog_views.cpp has its own `num`).
num::numeric numeric_of(const value& v);
} // namespace themis::sql
