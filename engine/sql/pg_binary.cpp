/// The binary wire format of each supported type (PostgreSQL's send/recv
/// functions): results in binary, parameters sent in binary. A parameter
/// decodes to exactly the stored form its text spelling would (bytea as
/// its hex text, json normalised as coerce() does), so a value round-trips
/// byte-exact whichever format each side uses. Every malformed input is
/// a sql_error, never a crash and never a silently empty value.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_datetime.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/pg_types_internal.hpp"

namespace themis::sql {

namespace {

using namespace detail;

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_be(std::string_view b) {
  uint64_t v = 0;
  for (unsigned char c : b)
    v = (v << 8) | c;
  return v;
}

[[noreturn]] void bad_binary(uint32_t o) {
  throw sql_error("22P03", std::string("incorrect binary data format for "
                                       "type ") +
                             type_name(o));
}

/// text's recv: valid UTF-8 without NUL (the server encoding is UTF8).
std::string utf8_checked(std::string_view b) {
  size_t i = 0;
  while (i < b.size()) {
    auto c = static_cast<unsigned char>(b[i]);
    size_t n = c < 0x80         ? 1
               : (c >> 5) == 6  ? 2
               : (c >> 4) == 14 ? 3
               : (c >> 3) == 30 ? 4
                                : 0;
    bool ok = c != 0 && n != 0 && i + n <= b.size();
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 7;
    for (size_t k = 1; ok && k < n; ++k) {
      auto cc = static_cast<unsigned char>(b[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // no overlong forms, no surrogates, nothing above U+10FFFF
    if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
               (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
               (cp >= 0xd800 && cp <= 0xdfff)))
      ok = false;
    if (!ok) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", c);
      throw sql_error("22021", std::string("invalid byte sequence for encoding "
                                           "\"UTF8\": ") +
                                 buf);
    }
    i += n;
  }
  return std::string(b);
}

/// The dates the text form can spell (years 0001–9999, as the text parser
/// reads four-digit years), as days since 2000-01-01.
int32_t min_days() {
  static const int32_t d = date_to_pg_days("0001-01-01");
  return d;
}
int32_t max_days() {
  static const int32_t d = date_to_pg_days("9999-12-31");
  return d;
}

constexpr int64_t us_per_day = 86400000000LL;

/// "HH:MM[:SS[.ffffff]]" → microseconds since midnight.
int64_t time_to_us(const std::string& t) {
  unsigned h = 0, m = 0;
  double sec = 0;
  if (std::sscanf(t.c_str(), "%u:%u:%lf", &h, &m, &sec) < 2 || h > 24 ||
      m > 59 || sec < 0 || sec >= 61)
    throw sql_error("22007",
                    "invalid input syntax for type time: \"" + t + "\"");
  return (static_cast<int64_t>(h) * 3600 + m * 60) * 1000000 +
         std::llround(sec * 1e6);
}

std::string us_to_time(int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%06lld",
                static_cast<long long>(us / 3600000000LL),
                static_cast<long long>(us / 60000000 % 60),
                static_cast<long long>(us / 1000000 % 60),
                static_cast<long long>(us % 1000000));
  std::string t(buf); // PostgreSQL drops trailing fraction zeros
  while (t.back() == '0')
    t.pop_back();
  if (t.back() == '.')
    t.pop_back();
  return t;
}

/// A decimal number's text ("-1.5", "1e-20", "12") as plain digits
/// without exponent; false if it is not a finite number.
bool plain_decimal(std::string t, bool& negative, std::string& ip,
                   std::string& fp) {
  negative = !t.empty() && t[0] == '-';
  if (negative || (!t.empty() && t[0] == '+'))
    t.erase(0, 1);
  long exp = 0;
  auto e = t.find_first_of("eE");
  if (e != std::string::npos) {
    char* end = nullptr;
    exp = std::strtol(t.c_str() + e + 1, &end, 10);
    if (*end || exp > 1000 || exp < -1000)
      return false;
    t.resize(e);
  }
  auto dot = t.find('.');
  ip = t.substr(0, dot);
  fp = dot == std::string::npos ? std::string() : t.substr(dot + 1);
  if (ip.empty() && fp.empty())
    return false;
  for (char c : ip + fp)
    if (c < '0' || c > '9')
      return false;
  for (; exp > 0; --exp) { // shift the point right
    ip.push_back(fp.empty() ? '0' : fp[0]);
    if (!fp.empty())
      fp.erase(0, 1);
  }
  for (; exp < 0; ++exp) { // and left
    fp.insert(0, 1, ip.empty() ? '0' : ip.back());
    if (!ip.empty())
      ip.pop_back();
  }
  return true;
}

/// NUMERIC binary: ndigits, weight, sign, dscale, then base-10000 digits.
std::string numeric_binary(const std::string& text) {
  std::string out;
  bool neg = false;
  std::string ip, fp;
  if (text == "NaN" || !plain_decimal(text, neg, ip, fp)) {
    if (text != "NaN")
      throw sql_error("22P03", "numeric value has no binary form: " + text);
    put_be(out, 0, 2), put_be(out, 0, 2), put_be(out, 0xC000, 2),
      put_be(out, 0, 2);
    return out;
  }
  uint16_t dscale = static_cast<uint16_t>(std::min<size_t>(fp.size(), 1000));
  while (ip.size() % 4)
    ip.insert(0, "0");
  while (fp.size() % 4)
    fp.push_back('0');
  std::vector<uint16_t> digits;
  auto group = [](const std::string& s, size_t i) {
    return static_cast<uint16_t>((s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 +
                                 (s[i + 2] - '0') * 10 + (s[i + 3] - '0'));
  };
  for (size_t i = 0; i < ip.size(); i += 4)
    digits.push_back(group(ip, i));
  int weight = static_cast<int>(digits.size()) - 1;
  for (size_t i = 0; i < fp.size(); i += 4)
    digits.push_back(group(fp, i));
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == 0) {
    ++lead;
    --weight;
  }
  digits.erase(digits.begin(), digits.begin() + static_cast<long>(lead));
  while (!digits.empty() && digits.back() == 0)
    digits.pop_back();
  if (digits.empty())
    weight = 0;
  put_be(out, digits.size(), 2);
  put_be(out, static_cast<uint16_t>(static_cast<int16_t>(weight)), 2);
  put_be(out, neg && !digits.empty() ? 0x4000 : 0, 2);
  put_be(out, dscale, 2);
  for (auto d : digits)
    put_be(out, d, 2);
  return out;
}

/// Numeric binary → its decimal text; digits past dscale are cut as
/// PostgreSQL's numeric_recv does.
std::string numeric_from_binary(std::string_view b) {
  if (b.size() < 8)
    throw sql_error("22P03", "insufficient data left in message");
  auto nd = static_cast<uint16_t>(get_be(b.substr(0, 2)));
  auto weight = static_cast<int16_t>(get_be(b.substr(2, 2)));
  auto sign = static_cast<uint16_t>(get_be(b.substr(4, 2)));
  auto dscale = static_cast<uint16_t>(get_be(b.substr(6, 2)));
  if (b.size() != 8u + 2u * nd || dscale > 1000 ||
      (sign != 0 && sign != 0x4000 && sign != 0xC000))
    throw sql_error("22P03", "invalid numeric binary data");
  if (sign == 0xC000)
    return "NaN";
  std::string ip, fp;
  for (int i = 0; i < nd; ++i) {
    auto d = static_cast<unsigned>(get_be(b.substr(8 + 2 * i, 2)));
    if (d > 9999)
      throw sql_error("22P03", "invalid digit in numeric binary data");
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04u", d);
    (weight - i >= 0 ? ip : fp) += buf;
  }
  // a numeric is held as a double here: beyond 1e308 it cannot be kept
  if (nd && weight > 77)
    throw sql_error("22003", "value overflows numeric format");
  if (weight >= nd)
    ip.append(static_cast<size_t>(weight - nd + 1) * 4, '0');
  if (weight < -1 && dscale)
    fp.insert(0, std::min<size_t>(static_cast<size_t>(-weight - 1) * 4, dscale),
              '0');
  size_t nz = ip.find_first_not_of('0');
  ip = nz == std::string::npos ? "0" : ip.substr(nz);
  fp.resize(dscale, '0');
  return std::string(sign == 0x4000 ? "-" : "") + ip +
         (dscale ? "." + fp : std::string());
}

} // namespace

std::string to_binary(const value& v, uint32_t o) {
  std::string out;
  switch (o) {
    case oid::boolean:
      out.push_back(coerce(v, o).i ? 1 : 0);
      return out;
    case oid::int2:
      put_be(out, static_cast<uint16_t>(coerce(v, oid::int2).i), 2);
      return out;
    case oid::int4:
      put_be(out, static_cast<uint32_t>(coerce(v, oid::int4).i), 4);
      return out;
    case oid::oid_t:
    case oid::regclass:
    case oid::regproc:
    case oid::regtype:
      put_be(out, static_cast<uint32_t>(coerce(v, oid::int8).i), 4);
      return out;
    case oid::time:
      put_be(out, static_cast<uint64_t>(time_to_us(text_of(v))), 8);
      return out;
    case oid::int8:
      put_be(out, static_cast<uint64_t>(coerce(v, oid::int8).i), 8);
      return out;
    case oid::float4: {
      float f = static_cast<float>(float_of(v, oid::float4));
      uint32_t u;
      std::memcpy(&u, &f, 4);
      put_be(out, u, 4);
      return out;
    }
    case oid::float8: {
      double d = float_of(v, oid::float8);
      uint64_t u;
      std::memcpy(&u, &d, 8);
      put_be(out, u, 8);
      return out;
    }
    case oid::bytea:
      return v.k == value::kind::blob ? v.s : bytea_raw(text_of(v));
    case oid::uuid: {
      auto c = uuid_canon(text_of(v));
      for (size_t i = 0; i < c.size(); ++i) {
        if (c[i] == '-')
          continue;
        out.push_back(static_cast<char>(hexval(c[i]) * 16 + hexval(c[i + 1])));
        ++i;
      }
      return out;
    }
    case oid::date:
      put_be(out, static_cast<uint32_t>(date_to_pg_days(text_of(v))), 4);
      return out;
    case oid::timestamp:
    case oid::timestamptz:
      put_be(out, static_cast<uint64_t>(timestamp_to_pg_us(text_of(v))), 8);
      return out;
    case oid::jsonb:
      return "\x01" + text_of(v);
    case oid::numeric:
      return numeric_binary(to_text(v, o));
    case 0:
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::json:
    case oid::unknown:
    case oid::char_t:
      return text_of(v); // their binary form is their text
    default:
      if (is_array_type(o))
        return array_to_binary(v, o);
      throw sql_error("42883",
                      std::string("no binary output function available for "
                                  "type ") +
                        type_name(o) + " (oid " + std::to_string(o) + ")");
  }
}

value from_binary(std::string_view b, uint32_t o) {
  auto need = [&](size_t n) {
    if (b.size() != n)
      bad_binary(o);
  };
  switch (o) {
    case oid::boolean:
      need(1);
      return value::of(b[0] != 0);
    case oid::int2:
      need(2);
      return value::of(static_cast<int16_t>(get_be(b)));
    case oid::int4:
      need(4);
      return value::of(static_cast<int32_t>(get_be(b)));
    case oid::oid_t:
    case oid::regclass:
    case oid::regproc:
    case oid::regtype:
      need(4); // unsigned
      return value::of(static_cast<int64_t>(get_be(b)));
    case oid::int8:
      need(8);
      return value::of(static_cast<int64_t>(get_be(b)));
    case oid::float4: {
      need(4);
      uint32_t u = static_cast<uint32_t>(get_be(b));
      float f;
      std::memcpy(&f, &u, 4);
      return float_value(f);
    }
    case oid::float8: {
      need(8);
      uint64_t u = get_be(b);
      double d;
      std::memcpy(&d, &u, 8);
      return float_value(d);
    }
    case oid::bytea: // stored as its hex text, as the text input is
      return value::of_text(to_hex(b));
    case oid::uuid: {
      need(16);
      return value::of_text(uuid_canon(to_hex(b).substr(2)));
    }
    case oid::date: {
      need(4);
      auto days = static_cast<int32_t>(get_be(b));
      if (days < min_days() || days > max_days())
        throw sql_error("22008", "date out of range");
      return value::of_text(pg_days_to_date(days));
    }
    case oid::timestamp:
    case oid::timestamptz: {
      need(8);
      auto us = static_cast<int64_t>(get_be(b));
      if (us < min_days() * us_per_day || us >= (max_days() + 1) * us_per_day)
        throw sql_error("22008", "timestamp out of range");
      return value::of_text(pg_us_to_timestamp(us, o == oid::timestamptz));
    }
    case oid::time: {
      need(8);
      auto us = static_cast<int64_t>(get_be(b));
      if (us < 0 || us > 86400000000LL)
        throw sql_error("22008", "time out of range");
      return value::of_text(us_to_time(us));
    }
    case oid::jsonb:
      if (b.empty() || b[0] != 1)
        throw sql_error("22P03", "unsupported jsonb version number");
      return coerce(value::of_text(utf8_checked(b.substr(1))), oid::jsonb);
    case oid::json:
      return coerce(value::of_text(utf8_checked(b)), oid::json);
    case oid::numeric:
      return coerce(value::of_text(numeric_from_binary(b)), oid::numeric);
    case 0: // unspecified and never inferred: text, as PostgreSQL infers
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::unknown:
      return value::of_text(utf8_checked(b));
    case oid::char_t:
      need(1);
      return value::of_text(std::string(b));
    default:
      if (is_array_type(o))
        return array_from_binary(b, o);
      throw sql_error("22P03",
                      std::string("no binary input function available for "
                                  "type ") +
                        type_name(o) + " (oid " + std::to_string(o) + ")");
  }
}

} // namespace themis::sql
