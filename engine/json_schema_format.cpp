/// `format` checks of untrusted schemas (engine/json_schema_keywords.hpp):
/// plain scanners, linear in the string, instead of valijson's std::regex
/// (which recurses per character of a long string).

#include <arpa/inet.h>
#include <cctype>
#include <string>
#include <string_view>

#include "engine/json_schema_keywords.hpp"

namespace themis::engine {

namespace {

bool digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size())
    return false;
  for (size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

int num(std::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i)
    v = v * 10 + (s[i] - '0');
  return v;
}

/// RFC 3339 full-date: YYYY-MM-DD with a day that exists in that month.
bool full_date(std::string_view s) {
  if (s.size() != 10 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) ||
      s[7] != '-' || !digits(s, 8, 2))
    return false;
  int y = num(s, 0, 4), m = num(s, 5, 2), d = num(s, 8, 2);
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1)
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

/// RFC 3339 full-time: HH:MM:SS[.frac](Z|±HH:MM).
bool full_time(std::string_view s) {
  if (s.size() < 9 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) ||
      s[5] != ':' || !digits(s, 6, 2))
    return false;
  if (num(s, 0, 2) > 23 || num(s, 3, 2) > 59 || num(s, 6, 2) > 60)
    return false;
  size_t i = 8;
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
    if (i == start)
      return false;
  }
  auto zone = s.substr(i);
  if (zone == "Z" || zone == "z")
    return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
         digits(zone, 1, 2) && zone[3] == ':' && digits(zone, 4, 2) &&
         num(zone, 1, 2) <= 23 && num(zone, 4, 2) <= 59;
}

bool uuid(std::string_view s) {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i])))
      return false;
  }
  return true;
}

/// A pragmatic address check (what MongoDB and most validators do short of
/// RFC 5321): one '@', a non-empty local part, a dotted domain, no spaces.
bool email(std::string_view s) {
  auto at = s.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= s.size() ||
      s.find('@', at + 1) != std::string_view::npos || s.size() > 254)
    return false;
  for (char c : s)
    if (c <= ' ' || c == 0x7f)
      return false;
  auto domain = s.substr(at + 1);
  auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

} // namespace

bool format_holds(const std::string& format, const std::string& s) {
  if (format == "date")
    return full_date(s);
  if (format == "time")
    return full_time(s);
  if (format == "date-time") {
    auto t = s.find_first_of("Tt");
    return t == 10 && full_date(std::string_view(s).substr(0, 10)) &&
           full_time(std::string_view(s).substr(11));
  }
  if (format == "uuid")
    return uuid(s);
  if (format == "email")
    return email(s);
  if (format == "ipv4" || format == "ipv6") {
    unsigned char buf[16];
    if (s.find('%') != std::string::npos || s.size() > 45)
      return false;
    return inet_pton(format == "ipv4" ? AF_INET : AF_INET6, s.c_str(), buf) ==
           1;
  }
  return true; // an unknown format is an annotation (JSON Schema 7.2)
}

} // namespace themis::engine
