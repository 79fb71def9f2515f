#pragma once
/// Unsigned big integers for pg_numeric.cpp: base 1e9 limbs, least
/// significant first, no high zero limbs (empty is zero). Internal.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace themis::sql::num::mag {

using mag_t = std::vector<uint32_t>;
constexpr uint32_t base = 1000000000u;

void trim(mag_t& a);
/// Decimal digits of `a` (0 for zero).
int ndigits(const mag_t& a);
/// The decimal digit at position `pos` (0: the units), 0 beyond the top.
int digit_at(const mag_t& a, int pos);
int mag_cmp(const mag_t& a, const mag_t& b);
mag_t mag_add(const mag_t& a, const mag_t& b);
/// a - b, a >= b.
mag_t mag_sub(const mag_t& a, const mag_t& b);
/// a = a × m + add.
void mul_small_add(mag_t& a, uint32_t m, uint32_t add = 0);
/// a /= d; returns the remainder.
uint32_t div_small(mag_t& a, uint32_t d);
mag_t mag_mul(const mag_t& a, const mag_t& b);
/// q = a / b, r = a % b (b non-zero): Knuth's algorithm D.
void mag_divmod(const mag_t& a, const mag_t& b, mag_t& q, mag_t& r);
/// a × 10^k (k >= 0).
mag_t shift_up(const mag_t& a, int k);
/// a / 10^k truncated; `first` is the first digit dropped.
mag_t shift_down(const mag_t& a, int k, int& first);
/// Digits ("" for zero) ↔ magnitude; `d` holds only '0'-'9'.
mag_t from_decimal(std::string_view d);
std::string to_decimal(const mag_t& a);

} // namespace themis::sql::num::mag
