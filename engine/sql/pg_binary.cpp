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
#include "engine/sql/pg_numeric.hpp"
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
    case oid::numeric: // exact (issue 36)
      return num::to_binary(numeric_of(v));
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
    case oid::numeric: // exact (issue 36)
      return value::of_text(num::to_string(num::from_binary(b)));
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
