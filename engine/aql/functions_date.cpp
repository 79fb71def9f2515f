/// Date functions. Dates are milliseconds since the Unix epoch or ISO 8601
/// strings, always UTC; valid dates lie in 0000-01-01 .. 9999-12-31 and
/// anything outside (or unparsable) gives null, as in ArangoDB.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "engine/aql/functions_impl.hpp"

namespace themis::aql::fn {

namespace {

constexpr int64_t ms_per_day = 86'400'000;
constexpr int64_t min_ts = -62'167'219'200'000; // 0000-01-01T00:00:00.000Z
constexpr int64_t max_ts = 253'402'300'799'999; // 9999-12-31T23:59:59.999Z

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// Howard Hinnant's days_from_civil. A day beyond the month's end simply
/// rolls over (Feb 31 → Mar 3), which is what DATE_ADD by months relies on.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil {
  int64_t year, month, day, hour, minute, second, milli;
  int64_t days; ///< since the epoch, for the weekday
};

civil split(int64_t ts) {
  civil c{};
  c.days = floor_div(ts, ms_per_day);
  int64_t rem = ts - c.days * ms_per_day;
  int64_t z = c.days + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = yoe + era * 400 + (c.month <= 2);
  c.hour = rem / 3'600'000;
  c.minute = rem / 60'000 % 60;
  c.second = rem / 1000 % 60;
  c.milli = rem % 1000;
  return c;
}

/// Month arithmetic on a date, keeping the day and time of day.
int64_t add_months(int64_t ts, int64_t months) {
  civil c = split(ts);
  int64_t total = c.year * 12 + (c.month - 1) + months;
  int64_t y = floor_div(total, 12);
  return days_from_civil(y, total - y * 12 + 1, c.day) * ms_per_day +
         (ts - c.days * ms_per_day);
}

json iso_value(int64_t ts) {
  if (ts < min_ts || ts > max_ts)
    return nullptr;
  civil c = split(ts);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                int(c.year), int(c.month), int(c.day), int(c.hour),
                int(c.minute), int(c.second), int(c.milli));
  return std::string(buf);
}

bool read_digits(std::string_view s, size_t& i, size_t n, int64_t& out) {
  out = 0;
  for (size_t k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

/// YYYY[-MM[-DD]][(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]
std::optional<int64_t> parse_iso(std::string_view s) {
  size_t i = 0;
  int64_t y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0, offset = 0;
  if (!read_digits(s, i, 4, y))
    return std::nullopt;
  if (i < s.size() && s[i] == '-') {
    if (!read_digits(s, ++i, 2, mo))
      return std::nullopt;
    if (i < s.size() && s[i] == '-' && !read_digits(s, ++i, 2, d))
      return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    if (!read_digits(s, ++i, 2, h) || i >= s.size() || s[i] != ':' ||
        !read_digits(s, ++i, 2, mi))
      return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      if (!read_digits(s, ++i, 2, sec))
        return std::nullopt;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        size_t start = ++i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
          if (i - start < 3) // finer digits are truncated, like ArangoDB
            ms = ms * 10 + (s[i] - '0');
        }
        if (i == start)
          return std::nullopt;
        for (size_t k = i - start; k < 3; ++k)
          ms *= 10;
      }
    }
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    int64_t oh = 0, om = 0;
    if (!read_digits(s, ++i, 2, oh))
      return std::nullopt;
    if (i < s.size() && s[i] == ':')
      ++i;
    if (i < s.size() && !read_digits(s, i, 2, om))
      return std::nullopt;
    if (oh > 23 || om > 59)
      return std::nullopt;
    offset = sign * (oh * 60 + om) * 60'000;
  }
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
      h > 23 || mi > 59 || sec > 59)
    return std::nullopt;
  int64_t ts = days_from_civil(y, mo, d) * ms_per_day +
               ((h * 60 + mi) * 60 + sec) * 1000 + ms - offset;
  if (ts < min_ts || ts > max_ts)
    return std::nullopt;
  return ts;
}

std::optional<int64_t> to_timestamp(const json& v) {
  if (v.is_number()) {
    int64_t ts = to_int64(v);
    if (ts < min_ts || ts > max_ts)
      return std::nullopt;
    return ts;
  }
  if (v.is_string())
    return parse_iso(v.get_ref<const std::string&>());
  return std::nullopt;
}

json date_now(args_t&) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// DATE_ISO8601 / DATE_TIMESTAMP: one date argument, or 3..7 components
/// (year, month, day[, hour, minute, second, millisecond]).
template <bool as_timestamp>
json from_parts(args_t& a) {
  std::optional<int64_t> ts;
  if (a.size() == 1) {
    ts = to_timestamp(a[0]);
  } else if (a.size() >= 3) {
    // bounds keep the arithmetic below far from int64 overflow; anything
    // that large is outside 0000..9999 anyway
    static constexpr int64_t bound[] = {
      9999,          1'000'000,       100'000'000,
      1'000'000'000, 100'000'000'000, 10'000'000'000'000};
    int64_t part[7] = {0, 1, 1, 0, 0, 0, 0};
    for (size_t k = 0; k < a.size(); ++k) {
      if (!a[k].is_number() && !a[k].is_string())
        return nullptr;
      part[k] = to_int64(a[k]);
      if (part[k] < 0 || (k < 6 && part[k] > bound[k]))
        return nullptr;
    }
    part[6] = std::min<int64_t>(part[6], 999);
    int64_t total = part[0] * 12 + part[1] - 1;
    int64_t y = floor_div(total, 12);
    ts = days_from_civil(y, total - y * 12 + 1, 1) * ms_per_day +
         (part[2] - 1) * ms_per_day + part[3] * 3'600'000 + part[4] * 60'000 +
         part[5] * 1000 + part[6];
  }
  if (!ts)
    return nullptr;
  if constexpr (as_timestamp)
    return *ts;
  else
    return iso_value(*ts);
}

template <int64_t civil::*member>
json date_part(args_t& a) {
  auto ts = to_timestamp(a[0]);
  return ts ? json(split(*ts).*member) : json();
}

json day_of_week(args_t& a) {
  auto ts = to_timestamp(a[0]);
  // 1970-01-01 was a Thursday; 0 = Sunday
  return ts ? json(((split(*ts).days + 4) % 7 + 7) % 7) : json();
}

enum class unit {
  invalid,
  milli,
  second,
  minute,
  hour,
  day,
  week,
  month,
  year
};

unit parse_unit(std::string u) {
  for (auto& ch : u)
    ch = static_cast<char>(lower_cp(static_cast<unsigned char>(ch)));
  if (u == "y" || u == "year" || u == "years")
    return unit::year;
  if (u == "m" || u == "month" || u == "months")
    return unit::month;
  if (u == "w" || u == "week" || u == "weeks")
    return unit::week;
  if (u == "d" || u == "day" || u == "days")
    return unit::day;
  if (u == "h" || u == "hour" || u == "hours")
    return unit::hour;
  if (u == "i" || u == "minute" || u == "minutes")
    return unit::minute;
  if (u == "s" || u == "second" || u == "seconds")
    return unit::second;
  if (u == "f" || u == "ms" || u == "millisecond" || u == "milliseconds")
    return unit::milli;
  return unit::invalid;
}

/// ISO 8601 duration as ArangoDB accepts it:
/// P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]]
bool parse_duration(std::string_view s, int64_t& months, int64_t& ms) {
  if (s.empty() || s[0] != 'P')
    return false;
  static constexpr std::string_view date_units = "YMWD";
  static constexpr std::string_view time_units = "HMS";
  static constexpr int64_t date_ms[] = {0, 0, 7 * ms_per_day, ms_per_day};
  static constexpr int64_t time_ms[] = {3'600'000, 60'000, 1000};
  months = ms = 0;
  bool in_time = false;
  size_t next_unit = 0;
  for (size_t i = 1; i < s.size();) {
    if (s[i] == 'T' && !in_time) {
      in_time = true;
      next_unit = 0;
      ++i;
      continue;
    }
    int64_t v = 0;
    size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (i - start >= 9) // caps each part so the sums cannot overflow
        return false;
      v = v * 10 + (s[i] - '0');
    }
    if (i == start || i >= s.size())
      return false;
    int64_t frac = 0;
    if (in_time && s[i] == '.') {
      size_t fs = ++i;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i - fs < 3; ++i)
        frac = frac * 10 + (s[i] - '0');
      if (i == fs || i >= s.size() || s[i] != 'S')
        return false;
      for (size_t k = i - fs; k < 3; ++k)
        frac *= 10;
    }
    auto units = in_time ? time_units : date_units;
    size_t idx = units.find(s[i++]);
    if (idx == std::string_view::npos || idx < next_unit)
      return false;
    next_unit = idx + 1;
    if (!in_time && idx < 2)
      months += idx == 0 ? v * 12 : v;
    else
      ms += v * (in_time ? time_ms[idx] : date_ms[idx]) + frac;
  }
  return true;
}

template <int sign>
json date_add(args_t& a) {
  auto ts = to_timestamp(a[0]);
  if (!ts)
    return nullptr;
  int64_t months = 0;
  double ms = 0;
  if (a.size() == 2) {
    int64_t ims = 0;
    if (!a[1].is_string() ||
        !parse_duration(a[1].get_ref<const std::string&>(), months, ims))
      return nullptr;
    ms = static_cast<double>(ims);
  } else {
    if (!a[1].is_number() || !a[2].is_string())
      return nullptr;
    double amount = a[1].get<double>();
    bool whole = a[1].is_number_integer();
    if (!(std::fabs(amount) < 1e12))
      return nullptr;
    // as in ArangoDB: a fraction of a year carries into months, a fraction
    // of a month into 30-day days
    double ip = 0;
    switch (parse_unit(a[2].get<std::string>())) {
      case unit::year:
        amount = std::modf(amount, &ip);
        months += static_cast<int64_t>(ip) * 12;
        if (whole || amount == 0)
          break;
        amount *= 12;
        [[fallthrough]];
      case unit::month:
        amount = std::modf(amount, &ip);
        months += static_cast<int64_t>(ip);
        if (whole || amount == 0)
          break;
        amount *= 30;
        [[fallthrough]];
      case unit::day:
        ms = amount * ms_per_day;
        break;
      case unit::week:
        ms = amount * 7 * ms_per_day;
        break;
      case unit::hour:
        ms = amount * 3'600'000;
        break;
      case unit::minute:
        ms = amount * 60'000;
        break;
      case unit::second:
        ms = amount * 1000;
        break;
      case unit::milli:
        ms = amount;
        break;
      default:
        return nullptr;
    }
  }
  // far outside 0000..9999 either way; stops the int64 math overflowing
  if (std::abs(months) > 1'000'000 || !(std::fabs(ms) < 1e15))
    return nullptr;
  int64_t out = add_months(*ts, sign * months) +
                sign * static_cast<int64_t>(std::trunc(ms));
  return iso_value(out);
}

constexpr entry entries[] = {
  {"DATE_NOW", {0, 0}, date_now},
  {"DATE_ISO8601", {1, 7}, from_parts<false>},
  {"DATE_TIMESTAMP", {1, 7}, from_parts<true>},
  {"DATE_YEAR", {1, 1}, date_part<&civil::year>},
  {"DATE_MONTH", {1, 1}, date_part<&civil::month>},
  {"DATE_DAY", {1, 1}, date_part<&civil::day>},
  {"DATE_HOUR", {1, 1}, date_part<&civil::hour>},
  {"DATE_MINUTE", {1, 1}, date_part<&civil::minute>},
  {"DATE_SECOND", {1, 1}, date_part<&civil::second>},
  {"DATE_MILLISECOND", {1, 1}, date_part<&civil::milli>},
  {"DATE_DAYOFWEEK", {1, 1}, day_of_week},
  {"DATE_ADD", {2, 3}, date_add<1>},
  {"DATE_SUBTRACT", {2, 3}, date_add<-1>},
};

} // namespace

std::span<const entry> date_functions() {
  return entries;
}

} // namespace themis::aql::fn
