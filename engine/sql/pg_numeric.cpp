#include "engine/sql/pg_numeric.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/sql/pg_numeric_mag.hpp"

namespace themis::sql::num {

using namespace mag;

namespace {

[[noreturn]] void overflow() {
  throw sql_error("22003", "value overflows numeric format");
}

[[noreturn]] void bad_syntax(std::string_view text) {
  throw sql_error("22P02", "invalid input syntax for type numeric: \"" +
                             std::string(text) + "\"");
}

[[noreturn]] void div_zero() {
  throw sql_error("22012", "division by zero");
}

numeric special(numeric::kind k) {
  numeric x;
  x.k = k;
  return x;
}

/// Enforces PostgreSQL's limits on a result and normalises zero's sign.
numeric checked(numeric x) {
  if (!x.finite())
    return x;
  trim(x.mag);
  if (x.mag.empty())
    x.neg = false;
  if (x.scale > max_scale || ndigits(x.mag) - x.scale > max_int_digits)
    overflow();
  return x;
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// `x`'s magnitude at scale `s` (>= x.scale).
mag_t at_scale(const numeric& x, int s) {
  return shift_up(x.mag, s - x.scale);
}

/// Signed sum of a and b at a common scale.
numeric signed_add(const numeric& a, const numeric& b, bool negate_b) {
  numeric r;
  r.scale = std::max(a.scale, b.scale);
  auto ma = at_scale(a, r.scale), mb = at_scale(b, r.scale);
  bool nb = negate_b ? !b.neg : b.neg;
  if (a.neg == nb) {
    r.mag = mag_add(ma, mb);
    r.neg = a.neg;
  } else if (mag_cmp(ma, mb) >= 0) {
    r.mag = mag_sub(ma, mb);
    r.neg = a.neg;
  } else {
    r.mag = mag_sub(mb, ma);
    r.neg = nb;
  }
  return checked(std::move(r));
}

/// Base-10000 weight and first digit of a finite value (0, 0 for zero), as
/// PostgreSQL's select_div_scale reads them.
void nbase_head(const numeric& x, int& weight, int& first) {
  weight = 0, first = 0;
  if (x.mag.empty())
    return;
  int n = ndigits(x.mag);
  int e = n - 1 - x.scale; // power of ten of the leading digit
  int w = e >= 0 ? e / 4 : -((-e + 3) / 4);
  weight = w;
  int lead = e - 4 * w + 1; // decimal digits in the first base-10000 digit
  first = 0;
  for (int i = 0; i < lead; ++i)
    first = first * 10 + digit_at(x.mag, n - 1 - i);
}

int select_div_scale(const numeric& a, const numeric& b) {
  int w1, f1, w2, f2;
  nbase_head(a, w1, f1);
  nbase_head(b, w2, f2);
  int qweight = w1 - w2;
  if (f1 <= f2)
    --qweight;
  int rscale = 16 - qweight * 4; // NUMERIC_MIN_SIG_DIGITS - qweight*DEC_DIGITS
  rscale = std::max({rscale, a.scale, b.scale, 0});
  return std::min(rscale, max_div_scale);
}

} // namespace

numeric parse(std::string_view text) {
  auto t = text;
  while (!t.empty() && space(t.front()))
    t.remove_prefix(1);
  while (!t.empty() && space(t.back()))
    t.remove_suffix(1);
  if (t.size() <= 9) {
    auto l = lower(t);
    if (l == "nan")
      return special(numeric::kind::nan);
    if (l == "infinity" || l == "+infinity" || l == "inf" || l == "+inf")
      return special(numeric::kind::pinf);
    if (l == "-infinity" || l == "-inf")
      return special(numeric::kind::ninf);
  }
  size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-'))
    neg = t[i++] == '-';
  std::string digits;
  int frac = 0;
  bool point = false, any = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (!(digits.empty() && c == '0'))
        digits.push_back(c);
      else if (point)
        digits.push_back(c); // keep zeros after the point: they count
      if (point)
        ++frac;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any)
    bad_syntax(text);
  long long exp = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-'))
      eneg = t[i++] == '-';
    if (i >= t.size() || t[i] < '0' || t[i] > '9')
      bad_syntax(text);
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i)
      if (exp < 1000000000)
        exp = exp * 10 + (t[i] - '0');
    if (exp >= 1000000000)
      overflow();
    if (eneg)
      exp = -exp;
  }
  if (i != t.size())
    bad_syntax(text);
  // strip leading zeros (those kept after the point)
  size_t lz = digits.find_first_not_of('0');
  if (lz == std::string::npos)
    digits.clear();
  else
    digits.erase(0, lz);
  long long scale = frac - exp;
  numeric x;
  x.neg = neg;
  if (scale > max_scale)
    overflow();
  if (!digits.empty() &&
      static_cast<long long>(digits.size()) - scale > max_int_digits)
    overflow();
  if (scale < 0) {
    if (!digits.empty())
      digits.append(static_cast<size_t>(-scale), '0');
    scale = 0;
  }
  x.scale = static_cast<int32_t>(scale);
  x.mag = from_decimal(digits);
  return checked(std::move(x));
}

std::string to_string(const numeric& x) {
  switch (x.k) {
    case numeric::kind::nan:
      return "NaN";
    case numeric::kind::pinf:
      return "Infinity";
    case numeric::kind::ninf:
      return "-Infinity";
    default:
      break;
  }
  auto d = to_decimal(x.mag); // "" for zero
  auto s = static_cast<size_t>(x.scale);
  if (d.size() <= s)
    d.insert(0, s + 1 - d.size(), '0');
  if (s)
    d.insert(d.size() - s, 1, '.');
  return x.neg ? "-" + d : d;
}

numeric from_int(int64_t v) {
  numeric x;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  x.neg = v < 0;
  while (u) {
    x.mag.push_back(static_cast<uint32_t>(u % base));
    u /= base;
  }
  return x;
}

numeric from_double(double d) {
  if (std::isnan(d))
    return special(numeric::kind::nan);
  if (std::isinf(d))
    return special(d > 0 ? numeric::kind::pinf : numeric::kind::ninf);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return parse(buf);
}

double to_double(const numeric& x) {
  switch (x.k) {
    case numeric::kind::nan:
      return NAN;
    case numeric::kind::pinf:
      return INFINITY;
    case numeric::kind::ninf:
      return -INFINITY;
    default:
      return std::strtod(to_string(x).c_str(), nullptr);
  }
}

int64_t to_int(const numeric& x, const char* type) {
  if (x.k == numeric::kind::nan)
    throw sql_error("0A000",
                    std::string("cannot convert NaN to ") +
                      (std::string(type) == "bigint" ? "bigint" : type));
  if (!x.finite())
    throw sql_error("0A000", std::string("cannot convert infinity to ") + type);
  auto r = round(x, 0);
  std::string t = type;
  uint64_t lim = t == "smallint"  ? 32767u
                 : t == "integer" ? 2147483647u
                                  : 9223372036854775807u;
  if (r.mag.size() > 3)
    throw sql_error("22003", t + " out of range");
  unsigned __int128 u = 0;
  for (size_t i = r.mag.size(); i-- > 0;)
    u = u * base + r.mag[i];
  if (u > static_cast<unsigned __int128>(lim) + (r.neg ? 1 : 0))
    throw sql_error("22003", t + " out of range");
  return r.neg ? static_cast<int64_t>(0 - static_cast<uint64_t>(u))
               : static_cast<int64_t>(u);
}

numeric add(const numeric& a, const numeric& b) {
  using k = numeric::kind;
  if (a.k == k::nan || b.k == k::nan)
    return special(k::nan);
  if (!a.finite())
    return !b.finite() && b.k != a.k ? special(k::nan) : a;
  if (!b.finite())
    return b;
  return signed_add(a, b, false);
}

numeric sub(const numeric& a, const numeric& b) {
  return add(a, negate(b));
}

numeric negate(numeric x) {
  using k = numeric::kind;
  if (x.k == k::pinf)
    x.k = k::ninf;
  else if (x.k == k::ninf)
    x.k = k::pinf;
  else if (x.finite() && !x.mag.empty())
    x.neg = !x.neg;
  return x;
}

numeric abs(numeric x) {
  if (x.k == numeric::kind::ninf)
    x.k = numeric::kind::pinf;
  x.neg = false;
  return x;
}

/// The sign of any value: -1, 0, 1 (NaN: 0, callers check it first).
static int sgn(const numeric& x) {
  if (x.k == numeric::kind::pinf)
    return 1;
  if (x.k == numeric::kind::ninf)
    return -1;
  if (!x.finite() || x.mag.empty())
    return 0;
  return x.neg ? -1 : 1;
}

static numeric inf_of(int s) {
  return special(s > 0 ? numeric::kind::pinf : numeric::kind::ninf);
}

numeric mul(const numeric& a, const numeric& b) {
  using k = numeric::kind;
  if (a.k == k::nan || b.k == k::nan)
    return special(k::nan);
  if (!a.finite() || !b.finite()) {
    int s = sgn(a) * sgn(b);
    return s == 0 ? special(k::nan) : inf_of(s);
  }
  if (a.scale + b.scale > max_scale * 2 + 2 ||
      ndigits(a.mag) + ndigits(b.mag) - a.scale - b.scale > max_int_digits + 1)
    overflow(); // before spending the work
  numeric r;
  r.mag = mag_mul(a.mag, b.mag);
  r.scale = a.scale + b.scale;
  r.neg = a.neg != b.neg;
  if (r.scale > max_scale) // PostgreSQL rounds an over-long product
    r = round(r, max_scale);
  return checked(std::move(r));
}

numeric div_scale(const numeric& a, const numeric& b, int rscale) {
  // Q = round(a.mag × 10^(rscale + b.scale - a.scale) / b.mag), computed
  // with one more digit whose value decides the rounding (half away)
  int e = rscale + b.scale - a.scale + 1;
  mag_t num = a.mag, den = b.mag;
  if (e >= 0)
    num = shift_up(num, e);
  else
    den = shift_up(den, -e);
  if (ndigits(num) - ndigits(den) > max_int_digits + rscale + 2)
    overflow();
  mag_t q, rem;
  mag_divmod(num, den, q, rem);
  auto last = div_small(q, 10);
  if (last >= 5)
    mul_small_add(q, 1, 1);
  numeric r;
  r.mag = std::move(q);
  r.scale = rscale;
  r.neg = a.neg != b.neg;
  return checked(std::move(r));
}

numeric div(const numeric& a, const numeric& b) {
  using k = numeric::kind;
  if (a.k == k::nan || b.k == k::nan)
    return special(k::nan);
  if (!a.finite()) {
    if (!b.finite())
      return special(k::nan);
    if (b.mag.empty())
      div_zero();
    return inf_of(sgn(a) * sgn(b));
  }
  if (!b.finite())
    return numeric{};
  if (b.mag.empty())
    div_zero();
  return div_scale(a, b, select_div_scale(a, b));
}

numeric mod(const numeric& a, const numeric& b) {
  using k = numeric::kind;
  if (a.k == k::nan || b.k == k::nan)
    return special(k::nan);
  if (!a.finite()) {
    if (b.is_zero())
      div_zero();
    return special(k::nan);
  }
  if (!b.finite())
    return a;
  if (b.mag.empty())
    div_zero();
  numeric r;
  r.scale = std::max(a.scale, b.scale);
  mag_t q;
  mag_divmod(at_scale(a, r.scale), at_scale(b, r.scale), q, r.mag);
  r.neg = a.neg;
  return checked(std::move(r));
}

namespace {

/// round/trunc to `s` places (s may be negative): result scale max(s, 0).
numeric to_places(const numeric& x, int s, bool rounding) {
  if (!x.finite())
    return x;
  numeric r = x;
  if (s >= x.scale) {
    r.mag = shift_up(x.mag, s - x.scale);
    r.scale = s;
    return checked(std::move(r));
  }
  int first = 0;
  r.mag = shift_down(x.mag, x.scale - s, first);
  if (rounding && first >= 5)
    mul_small_add(r.mag, 1, 1);
  if (s < 0) {
    r.mag = shift_up(r.mag, -s);
    s = 0;
  }
  r.scale = s;
  return checked(std::move(r));
}

} // namespace

numeric round(const numeric& x, int s) {
  return to_places(x, s, true);
}
numeric trunc(const numeric& x, int s) {
  return to_places(x, s, false);
}

numeric ceil(const numeric& x) {
  auto t = trunc(x, 0);
  if (x.finite() && !x.neg && cmp(t, x) != 0)
    return add(t, from_int(1));
  return t;
}

numeric floor(const numeric& x) {
  auto t = trunc(x, 0);
  if (x.finite() && x.neg && cmp(t, x) != 0)
    return sub(t, from_int(1));
  return t;
}

numeric sign(const numeric& x) {
  if (x.k == numeric::kind::nan)
    return x;
  return from_int(sgn(x));
}

int cmp(const numeric& a, const numeric& b) {
  auto rank = [](const numeric& x) {
    switch (x.k) {
      case numeric::kind::ninf:
        return 0;
      case numeric::kind::finite:
        return 1;
      case numeric::kind::pinf:
        return 2;
      default:
        return 3;
    }
  };
  int ra = rank(a), rb = rank(b);
  if (ra != rb || ra != 1)
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  int sa = sgn(a), sb = sgn(b);
  if (sa != sb)
    return sa < sb ? -1 : 1;
  if (sa == 0)
    return 0;
  // compare integer digit counts first: cheap, and avoids scaling
  int ia = ndigits(a.mag) - a.scale, ib = ndigits(b.mag) - b.scale;
  int c;
  if (ia != ib)
    c = ia < ib ? -1 : 1;
  else {
    int s = std::max(a.scale, b.scale);
    c = mag_cmp(at_scale(a, s), at_scale(b, s));
  }
  return sa < 0 ? -c : c;
}

int32_t typmod_in(const std::vector<int64_t>& m) {
  if (m.empty())
    return -1;
  if (m.size() > 2)
    throw sql_error("22023", "invalid NUMERIC type modifier");
  if (m[0] < 1 || m[0] > 1000)
    throw sql_error("22023", "NUMERIC precision " + std::to_string(m[0]) +
                               " must be between 1 and 1000");
  auto s = m.size() > 1 ? m[1] : 0;
  if (s < -1000 || s > 1000)
    throw sql_error("22023", "NUMERIC scale " + std::to_string(s) +
                               " must be between -1000 and 1000");
  return make_typmod(static_cast<int>(m[0]), static_cast<int>(s));
}

std::string typmod_text(int32_t typmod) {
  if (typmod < 4)
    return "";
  int p = ((typmod - 4) >> 16) & 0xffff;
  int s = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
  return "(" + std::to_string(p) + "," + std::to_string(s) + ")";
}

numeric apply_typmod(const numeric& x, int32_t typmod) {
  if (typmod < 4 || x.k == numeric::kind::nan)
    return x;
  int p = ((typmod - 4) >> 16) & 0xffff;
  int s = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
  auto head = "A field with precision " + std::to_string(p) + ", scale " +
              std::to_string(s);
  if (!x.finite())
    throw sql_error("22003", "numeric field overflow\x1e"
                             "D" +
                               head + " cannot hold an infinite value.");
  auto r = round(x, s);
  int maxdigits = p - s;
  if (!r.mag.empty() && ndigits(r.mag) - r.scale > maxdigits)
    throw sql_error(
      "22003", "numeric field overflow\x1e"
               "D" +
                 head + " must round to an absolute value less than " +
                 (maxdigits ? "10^" + std::to_string(maxdigits) : "1") + ".");
  return r;
}

} // namespace themis::sql::num
