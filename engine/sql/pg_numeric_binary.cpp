/// NUMERIC binary wire format (numeric_send / numeric_recv of PostgreSQL 15).
#include <algorithm>

#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/pg_numeric_mag.hpp"

namespace themis::sql::num {

using namespace mag;

namespace {

constexpr uint16_t sign_pos = 0x0000, sign_neg = 0x4000, sign_nan = 0xC000,
                   sign_pinf = 0xD000, sign_ninf = 0xF000;

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

uint16_t get16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) << 8 |
                               static_cast<unsigned char>(b[at + 1]));
}

[[noreturn]] void bad(const char* what) {
  throw sql_error("22P03", std::string("invalid ") + what +
                             " in external \"numeric\" value");
}

} // namespace

std::string to_binary(const numeric& x) {
  std::string out;
  if (!x.finite()) {
    put16(out, 0), put16(out, 0);
    put16(out, x.k == numeric::kind::nan    ? sign_nan
               : x.k == numeric::kind::pinf ? sign_pinf
                                            : sign_ninf);
    put16(out, 0);
    return out;
  }
  auto d = to_decimal(x.mag);
  auto s = static_cast<size_t>(x.scale);
  if (d.size() <= s)
    d.insert(0, s + 1 - d.size(), '0');
  std::string ip = d.substr(0, d.size() - s), fp = d.substr(d.size() - s);
  ip.insert(0, (4 - ip.size() % 4) % 4, '0');
  fp.append((4 - fp.size() % 4) % 4, '0');
  std::vector<uint16_t> digits;
  auto group = [](const std::string& t, size_t i) {
    return static_cast<uint16_t>((t[i] - '0') * 1000 + (t[i + 1] - '0') * 100 +
                                 (t[i + 2] - '0') * 10 + (t[i + 3] - '0'));
  };
  for (size_t i = 0; i < ip.size(); i += 4)
    digits.push_back(group(ip, i));
  int weight = static_cast<int>(digits.size()) - 1;
  for (size_t i = 0; i < fp.size(); i += 4)
    digits.push_back(group(fp, i));
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == 0)
    ++lead, --weight;
  digits.erase(digits.begin(), digits.begin() + static_cast<long>(lead));
  while (!digits.empty() && digits.back() == 0)
    digits.pop_back();
  if (digits.empty())
    weight = 0;
  if (digits.size() > 32767 || weight > 32767 || weight < -32768)
    throw sql_error("22003", "value overflows numeric format");
  put16(out, static_cast<uint16_t>(digits.size()));
  put16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  put16(out, x.neg ? sign_neg : sign_pos);
  put16(out, static_cast<uint16_t>(x.scale));
  for (auto g : digits)
    put16(out, g);
  return out;
}

numeric from_binary(std::string_view b) {
  if (b.size() < 8)
    throw sql_error("22P03", "insufficient data left in message");
  size_t nd = get16(b, 0);
  auto weight = static_cast<int16_t>(get16(b, 2));
  auto sign = get16(b, 4);
  auto dscale = get16(b, 6);
  // NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE, as numeric_recv
  if (nd > 3000)
    bad("length");
  if (sign != sign_pos && sign != sign_neg && sign != sign_nan &&
      sign != sign_pinf && sign != sign_ninf)
    bad("sign");
  if (dscale > max_scale)
    bad("scale");
  if (b.size() < 8 + 2 * nd)
    throw sql_error("22P03", "insufficient data left in message");
  if (b.size() > 8 + 2 * nd)
    throw sql_error("22P03", "incorrect binary data format in bind parameter");
  std::string digits;
  digits.reserve(nd * 4);
  for (size_t i = 0; i < nd; ++i) {
    auto g = get16(b, 8 + 2 * i);
    if (g >= 10000)
      bad("digit");
    auto s = std::to_string(g);
    digits.append(4 - s.size(), '0');
    digits += s;
  }
  numeric x;
  if (sign == sign_nan || sign == sign_pinf || sign == sign_ninf) {
    x.k = sign == sign_nan    ? numeric::kind::nan
          : sign == sign_pinf ? numeric::kind::pinf
                              : numeric::kind::ninf;
    return x;
  }
  // value = digits × 10^(4 × (weight + 1 - nd)), then cut to dscale
  int e = 4 * (weight + 1 - static_cast<int>(nd));
  x.mag = from_decimal(digits);
  x.neg = sign == sign_neg;
  if (e >= 0) {
    x.mag = shift_up(x.mag, e);
    x.scale = 0;
  } else {
    x.scale = -e;
  }
  x = trunc(x, dscale);
  if (x.mag.empty())
    x.neg = false;
  return x;
}

} // namespace themis::sql::num
