#include "handlers/http_conditional.hpp"

#include <cctype>
#include <cstring>
#include <ctime>

namespace themis {

namespace {

std::string_view opaque(std::string_view tag) {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/')
    tag.remove_prefix(2);
  return tag;
}

bool space(char c) {
  return c == ' ' || c == '\t';
}

/// One entity-tag at the front of `s` (after optional whitespace), or an
/// empty view when the list is malformed there; `s` moves past it.
std::string_view next_tag(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && (space(s[i]) || s[i] == ','))
    ++i;
  size_t start = i;
  if (s.substr(i, 2) == "W/")
    i += 2;
  if (i >= s.size() || s[i] != '"')
    return {};
  auto close = s.find('"', i + 1);
  if (close == std::string_view::npos)
    return {};
  auto tag = s.substr(start, close + 1 - start);
  s.remove_prefix(close + 1);
  return tag;
}

int month_of(std::string_view m) {
  static constexpr const char* names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};
  for (int k = 0; k < 12; ++k)
    if (m == names[k])
      return k;
  return -1;
}

bool number(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4)
    return false;
  out = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

/// "HH:MM:SS"
bool clock(std::string_view s, std::tm& tm) {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' &&
         number(s.substr(0, 2), tm.tm_hour) &&
         number(s.substr(3, 2), tm.tm_min) &&
         number(s.substr(6, 2), tm.tm_sec) && tm.tm_hour < 24 &&
         tm.tm_min < 60 && tm.tm_sec < 61;
}

/// Splits on single spaces; at most 6 parts.
int split(std::string_view s, std::string_view (&out)[6]) {
  int n = 0;
  while (!s.empty() && n < 6) {
    while (!s.empty() && s[0] == ' ')
      s.remove_prefix(1);
    if (s.empty())
      break;
    auto sp = s.find(' ');
    out[n++] = s.substr(0, sp);
    s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp);
  }
  return s.empty() ? n : -1;
}

} // namespace

bool if_none_match_matches(std::string_view field, std::string_view etag) {
  auto f = field;
  while (!f.empty() && space(f.front()))
    f.remove_prefix(1);
  while (!f.empty() && space(f.back()))
    f.remove_suffix(1);
  if (f == "*")
    return true;
  auto want = opaque(etag);
  while (true) {
    auto tag = next_tag(f);
    if (tag.empty())
      return false;
    if (opaque(tag) == want)
      return true;
  }
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  std::string_view p[6];
  int n = split(text, p);
  std::tm tm{};
  int year = 0;
  if (n == 6 && p[0].size() == 4 && p[0][3] == ',' && p[5] == "GMT") {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (!number(p[1], tm.tm_mday) || (tm.tm_mon = month_of(p[2])) < 0 ||
        p[3].size() != 4 || !number(p[3], year) || !clock(p[4], tm))
      return std::nullopt;
  } else if (n == 4 && p[0].back() == ',' && p[3] == "GMT") {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit year: §5.6.7
    // reads one more than 50 years ahead as the past century)
    auto d = p[1];
    if (d.size() != 9 || d[2] != '-' || d[6] != '-' ||
        !number(d.substr(0, 2), tm.tm_mday) ||
        (tm.tm_mon = month_of(d.substr(3, 3))) < 0 ||
        !number(d.substr(7, 2), year) || !clock(p[2], tm))
      return std::nullopt;
    year += year < 70 ? 2000 : 1900;
  } else if (n == 5) {
    // asctime: Sun Nov  6 08:49:37 1994
    if ((tm.tm_mon = month_of(p[1])) < 0 || !number(p[2], tm.tm_mday) ||
        !clock(p[3], tm) || p[4].size() != 4 || !number(p[4], year))
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || year < 1970)
    return std::nullopt;
  tm.tm_year = year - 1900;
  auto t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1))
    return std::nullopt;
  return static_cast<int64_t>(t);
}

std::string body_etag(std::string_view body) {
  // 8 bytes per step (a byte-wise FNV-1a cost ~1 ns per byte: 0.3 ms for
  // /openapi.json); each word is folded in with a multiply-xorshift mix
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](uint64_t w) {
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  };
  size_t i = 0;
  for (; i + 8 <= body.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, body.data() + i, 8); // little-endian hosts only
    mix(w);
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < body.size(); ++k)
    tail |= uint64_t(static_cast<unsigned char>(body[i + k])) << (8 * k);
  mix(tail);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"h";
  for (int i = 15; i >= 0; --i)
    out.push_back(hex[(h >> (i * 4)) & 0xf]);
  out.push_back('-');
  char len[17];
  int k = 0;
  auto n = static_cast<uint64_t>(body.size());
  do {
    len[k++] = hex[n & 0xf];
    n >>= 4;
  } while (n);
  while (k)
    out.push_back(len[--k]);
  out.push_back('"');
  return out;
}

} // namespace themis
