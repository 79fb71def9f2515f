#include "engine/sql/pg_datetime.hpp"

#include <chrono>
#include <cstdio>

#include "engine/sql/sql_types.hpp"

namespace themis::sql {

namespace {

// Howard Hinnant's civil-date algorithms.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

constexpr int64_t pg_epoch_days = 10957; // 2000-01-01 - 1970-01-01

[[noreturn]] void bad(const char* type, std::string_view t) {
  throw sql_error("22007", std::string("invalid input syntax for type ") +
                             type + ": \"" + std::string(t) + "\"");
}

struct parts {
  int64_t y = 0;
  unsigned mo = 1, d = 1, h = 0, mi = 0, s = 0;
  int64_t us = 0;
  int tz_min = 0;
  bool has_tz = false;
};

bool digits(std::string_view t, size_t& i, size_t n, int64_t& out) {
  out = 0;
  size_t k = 0;
  while (i < t.size() && k < n && t[i] >= '0' && t[i] <= '9') {
    out = out * 10 + (t[i] - '0');
    ++i, ++k;
  }
  return k == n;
}

parts parse(std::string_view t, const char* type, bool need_time) {
  parts p;
  size_t i = 0;
  while (i < t.size() && t[i] == ' ')
    ++i;
  int64_t v;
  if (!digits(t, i, 4, v))
    bad(type, t);
  p.y = v;
  if (i >= t.size() || t[i++] != '-' || !digits(t, i, 2, v))
    bad(type, t);
  p.mo = static_cast<unsigned>(v);
  if (i >= t.size() || t[i++] != '-' || !digits(t, i, 2, v))
    bad(type, t);
  p.d = static_cast<unsigned>(v);
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31)
    throw sql_error("22008",
                    std::string("date/time field value out of range: \"") +
                      std::string(t) + "\"");
  int64_t yy;
  unsigned mm, dd;
  civil_from_days(days_from_civil(p.y, p.mo, p.d), yy, mm, dd);
  if (mm != p.mo)
    throw sql_error("22008",
                    std::string("date/time field value out of range: \"") +
                      std::string(t) + "\"");
  if (i < t.size() && (t[i] == ' ' || t[i] == 'T')) {
    ++i;
    if (!digits(t, i, 2, v))
      bad(type, t);
    p.h = static_cast<unsigned>(v);
    if (i >= t.size() || t[i++] != ':' || !digits(t, i, 2, v))
      bad(type, t);
    p.mi = static_cast<unsigned>(v);
    if (i < t.size() && t[i] == ':') {
      ++i;
      if (!digits(t, i, 2, v))
        bad(type, t);
      p.s = static_cast<unsigned>(v);
      if (i < t.size() && t[i] == '.') {
        ++i;
        int64_t frac = 0;
        int n = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
          if (n < 6) {
            frac = frac * 10 + (t[i] - '0');
            ++n;
          }
          ++i;
        }
        while (n++ < 6)
          frac *= 10;
        p.us = frac;
      }
    }
    if (p.h > 24 || p.mi > 59 || p.s > 60)
      throw sql_error("22008",
                      std::string("date/time field value out of range: \"") +
                        std::string(t) + "\"");
    while (i < t.size() && t[i] == ' ')
      ++i;
    if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
      p.has_tz = true;
      ++i;
    } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      int sign = t[i] == '-' ? -1 : 1;
      ++i;
      int64_t hh = 0, mm2 = 0;
      if (!digits(t, i, 2, hh))
        bad(type, t);
      if (i < t.size() && t[i] == ':')
        ++i;
      if (i < t.size() && t[i] >= '0' && t[i] <= '9' && !digits(t, i, 2, mm2))
        bad(type, t);
      p.has_tz = true;
      p.tz_min = sign * static_cast<int>(hh * 60 + mm2);
    } else if (t.substr(i) == "UTC" || t.substr(i) == "GMT") {
      p.has_tz = true;
      i += 3;
    }
  } else if (need_time) {
    // a bare date is midnight
  }
  while (i < t.size() && t[i] == ' ')
    ++i;
  if (i != t.size())
    bad(type, t);
  return p;
}

std::string fmt_date(int64_t y, unsigned m, unsigned d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y),
                m, d);
  return buf;
}

std::string fmt_ts(int64_t epoch_us, bool tz) {
  int64_t days = epoch_us >= 0 ? epoch_us / 86400000000LL
                               : -((-epoch_us + 86399999999LL) / 86400000000LL);
  int64_t rem = epoch_us - days * 86400000000LL;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto secs = rem / 1000000;
  auto us = rem % 1000000;
  char buf[64];
  int n = std::snprintf(
    buf, sizeof buf, "%s %02lld:%02lld:%02lld", fmt_date(y, m, d).c_str(),
    static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
    static_cast<long long>(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (us) {
    char f[8];
    std::snprintf(f, sizeof f, "%06lld", static_cast<long long>(us));
    std::string fs(f);
    while (fs.back() == '0')
      fs.pop_back();
    out += "." + fs;
  }
  if (tz)
    out += "+00";
  return out;
}

int64_t epoch_us_of(const parts& p) {
  return (days_from_civil(p.y, p.mo, p.d) * 86400 + p.h * 3600 + p.mi * 60 +
          p.s - static_cast<int64_t>(p.tz_min) * 60) *
           1000000 +
         p.us;
}

} // namespace

std::string normalize_date(std::string_view text) {
  auto p = parse(text, "date", false);
  return fmt_date(p.y, p.mo, p.d);
}

std::string normalize_timestamp(std::string_view text, bool with_tz) {
  auto p =
    parse(text, with_tz ? "timestamp with time zone" : "timestamp", true);
  if (!with_tz)
    p.tz_min = 0; // a timestamp without time zone ignores an offset
  return fmt_ts(epoch_us_of(p), with_tz);
}

int32_t date_to_pg_days(std::string_view t) {
  auto p = parse(t, "date", false);
  return static_cast<int32_t>(days_from_civil(p.y, p.mo, p.d) - pg_epoch_days);
}

std::string pg_days_to_date(int32_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days + pg_epoch_days, y, m, d);
  return fmt_date(y, m, d);
}

int64_t timestamp_to_pg_us(std::string_view t) {
  auto p = parse(t, "timestamp", true);
  return epoch_us_of(p) - pg_epoch_days * 86400000000LL;
}

std::string pg_us_to_timestamp(int64_t us, bool with_tz) {
  return fmt_ts(us + pg_epoch_days * 86400000000LL, with_tz);
}

std::string now_timestamptz() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  return fmt_ts(us, true);
}

} // namespace themis::sql
