/// String functions. Following ArangoDB, most of them first turn every
/// argument into a string with TO_STRING rules (null → "", numbers as
/// text, arrays/objects as JSON), so they accept any input type.

#include <algorithm>
#include <memory>
#include <regex>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions_impl.hpp"
#include "engine/aql/like.hpp"

namespace themis::aql::fn {

namespace {

std::string str_arg(const args_t& a, size_t i) {
  return to_string(arg(a, i));
}

json concat(args_t& a) {
  std::string out;
  auto append = [&](const json& v) {
    if (!v.is_null())
      out += to_string(v);
  };
  // a single array argument contributes its members; elsewhere an array is
  // appended as its JSON text
  if (a.size() == 1 && a[0].is_array()) {
    for (const auto& v : a[0])
      append(v);
  } else {
    for (const auto& v : a)
      append(v);
  }
  return out;
}

json concat_separator(args_t& a) {
  std::string sep = str_arg(a, 0);
  std::string out;
  bool first = true;
  auto append = [&](const json& v) {
    if (v.is_null())
      return;
    if (!first)
      out += sep;
    out += to_string(v);
    first = false;
  };
  if (a.size() == 2 && a[1].is_array()) {
    for (const auto& v : a[1])
      append(v);
  } else {
    for (size_t i = 1; i < a.size(); ++i)
      append(a[i]);
  }
  return out;
}

template <uint32_t (*map)(uint32_t)>
json map_case(args_t& a) {
  std::string s = str_arg(a, 0);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = utf8_decode(s, i);
    utf8_append(out, map(c.cp));
    i += c.len;
  }
  return out;
}

/// Code-point range [from, from + count) of `s`, clamped to the string.
std::string cp_substr(const std::string& s, const std::vector<size_t>& off,
                      int64_t from, int64_t count) {
  auto n = static_cast<int64_t>(off.size() - 1);
  from = std::clamp<int64_t>(from, 0, n);
  count = std::clamp<int64_t>(count, 0, n - from);
  return s.substr(off[from], off[from + count] - off[from]);
}

json substring(args_t& a) {
  std::string s = str_arg(a, 0);
  auto off = utf8_offsets(s);
  auto n = static_cast<int64_t>(off.size() - 1);
  int64_t offset = to_int64(arg(a, 1));
  if (offset < 0)
    offset = std::max<int64_t>(0, n + offset);
  // an explicit null length is 0, as in ArangoDB (toInt64(null))
  int64_t length = a.size() > 2 ? to_int64(a[2]) : n;
  return cp_substr(s, off, offset, length);
}

json left(args_t& a) {
  std::string s = str_arg(a, 0);
  return cp_substr(s, utf8_offsets(s), 0, to_int64(arg(a, 1)));
}

json right(args_t& a) {
  std::string s = str_arg(a, 0);
  auto off = utf8_offsets(s);
  int64_t count = std::max<int64_t>(0, to_int64(arg(a, 1)));
  auto n = static_cast<int64_t>(off.size() - 1);
  return cp_substr(s, off, n - std::min(count, n), count);
}

enum trim_side { trim_both = 0, trim_left = 1, trim_right = 2 };

std::string trim_impl(const std::string& s, std::string_view chars, int side) {
  auto set = utf8_code_points(chars);
  auto off = utf8_offsets(s);
  size_t b = 0;
  size_t e = off.size() - 1;
  auto in_set = [&](size_t k) {
    return std::find(set.begin(), set.end(), utf8_decode(s, off[k]).cp) !=
           set.end();
  };
  if (side != trim_right) {
    while (b < e && in_set(b))
      ++b;
  }
  if (side != trim_left) {
    while (e > b && in_set(e - 1))
      --e;
  }
  return s.substr(off[b], off[e] - off[b]);
}

constexpr std::string_view default_ws = "\r\n\t ";

json trim(args_t& a) {
  int side = trim_both;
  std::string chars(default_ws);
  const json& opt = arg(a, 1);
  if (opt.is_number()) {
    int64_t t = to_int64(opt);
    side = (t < 0 || t > 2) ? trim_both : static_cast<int>(t);
  } else if (opt.is_string()) {
    chars = opt.get<std::string>();
  }
  return trim_impl(str_arg(a, 0), chars, side);
}

template <int side>
json trim_one_side(args_t& a) {
  // an explicit second argument is always stringified, even null → ""
  std::string chars = a.size() > 1 ? to_string(a[1]) : std::string(default_ws);
  return trim_impl(str_arg(a, 0), chars, side);
}

json contains(args_t& a) {
  std::string text = str_arg(a, 0);
  std::string search = str_arg(a, 1);
  bool want_index = arg_bool(a, 2, false);
  // ArangoDB never finds the empty string
  size_t pos = search.empty() ? std::string::npos : text.find(search);
  if (!want_index)
    return pos != std::string::npos;
  if (pos == std::string::npos)
    return -1;
  return static_cast<int64_t>(
    utf8_length(std::string_view(text).substr(0, pos)));
}

json like(args_t& a) {
  return like_match(str_arg(a, 0), str_arg(a, 1), arg_bool(a, 2, false));
}

json split(args_t& a) {
  int64_t limit = -1;
  if (a.size() > 2) {
    if (!a[2].is_number())
      return nullptr;
    limit = to_int64(a[2]);
    if (limit < 0)
      return nullptr;
    if (limit == 0)
      return json::array();
  }
  if (a.size() == 1)
    return json::array({a[0]});
  if (a[1].is_object())
    return nullptr;
  std::vector<std::string> seps;
  if (a[1].is_array()) {
    for (const auto& s : a[1])
      seps.push_back(to_string(s));
  } else {
    seps.push_back(to_string(a[1]));
  }
  // an empty separator among real ones would match everywhere; ArangoDB's
  // regex alternation would too, but that is never what a query wants
  std::erase_if(seps, [](const std::string& s) { return s.empty(); });
  std::string s = str_arg(a, 0);
  json out = json::array();
  auto full = [&] {
    return limit >= 0 && static_cast<int64_t>(out.size()) >= limit;
  };
  if (seps.empty()) { // split into characters
    for (size_t i = 0; i < s.size() && !full();) {
      size_t len = utf8_decode(s, i).len;
      out.push_back(s.substr(i, len));
      i += len;
    }
    return out;
  }
  // next[k] caches where separator k occurs next, so many matches do not
  // rescan the string once per separator per piece
  std::vector<size_t> next(seps.size());
  for (size_t k = 0; k < seps.size(); ++k)
    next[k] = s.find(seps[k]);
  size_t pos = 0;
  while (!full()) {
    size_t best = std::string::npos;
    size_t best_k = 0;
    for (size_t k = 0; k < seps.size(); ++k) {
      if (next[k] != std::string::npos && next[k] < pos)
        next[k] = s.find(seps[k], pos);
      if (next[k] < best) {
        best = next[k];
        best_k = k;
      }
    }
    if (best == std::string::npos) {
      out.push_back(s.substr(pos));
      break;
    }
    out.push_back(s.substr(pos, best - pos));
    pos = best + seps[best_k].size();
  }
  return out;
}

json reverse(args_t& a) {
  json& v = a[0];
  if (v.is_array()) {
    json out = std::move(v);
    std::reverse(out.begin(), out.end());
    return out;
  }
  if (!v.is_string())
    return nullptr;
  auto cps = utf8_code_points(v.get_ref<const std::string&>());
  std::string out;
  out.reserve(v.get_ref<const std::string&>().size());
  for (auto it = cps.rbegin(); it != cps.rend(); ++it)
    utf8_append(out, *it);
  return out;
}

json starts_with(args_t& a) {
  if (!a[0].is_string())
    return false;
  std::string_view text = a[0].get_ref<const std::string&>();
  const json& prefix = a[1];
  if (prefix.is_string())
    return text.starts_with(prefix.get_ref<const std::string&>());
  if (!prefix.is_array())
    return nullptr;
  int64_t min_match = a.size() > 2 ? to_int64(a[2]) : 1;
  int64_t matched = 0;
  for (const auto& p : prefix) {
    if (!p.is_string())
      return nullptr;
    if (text.starts_with(p.get_ref<const std::string&>()))
      ++matched;
  }
  return matched >= min_match;
}

/// std::regex compiles groups recursively; some ten thousand nested
/// parentheses overflow the stack. No real pattern nests this deep.
bool nesting_too_deep(std::string_view pattern) {
  constexpr int max_depth = 256;
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\')
      ++i;
    else if (in_class)
      in_class = c != ']';
    else if (c == '[')
      in_class = true;
    else if (c == '(' && ++depth > max_depth)
      return true;
    else if (c == ')' && depth > 0)
      --depth;
  }
  return false;
}

/// Compiling a std::regex costs far more than matching short strings, and a
/// FILTER calls REGEX_TEST once per document with the same pattern.
std::shared_ptr<const std::regex> cached_regex(const std::string& pattern,
                                               bool icase) {
  struct slot {
    std::string pattern;
    bool icase;
    std::shared_ptr<const std::regex> re;
  };
  thread_local std::vector<slot> cache;
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->icase == icase && it->pattern == pattern) {
      std::rotate(cache.begin(), it, it + 1);
      return cache.front().re;
    }
  }
  auto flags = std::regex::ECMAScript;
  if (icase)
    flags |= std::regex::icase;
#ifdef __GLIBCXX__
  // libstdc++'s default executor recurses once per input character and can
  // overflow the stack on long texts; the polynomial (Thompson NFA) executor
  // does not. It rejects back-references, which then count as invalid.
  flags |= std::regex_constants::__polynomial;
#endif
  if (nesting_too_deep(pattern)) {
    throw aql_error(error_kind::runtime,
                    "regular expression nested too deeply in REGEX_TEST()");
  }
  std::shared_ptr<const std::regex> re;
  try {
    re = std::make_shared<const std::regex>(pattern, flags);
  } catch (const std::regex_error&) {
    // the pattern itself stays out of the message: it may be huge or not
    // even valid UTF-8, and the message ends up in a JSON error body
    throw aql_error(error_kind::runtime,
                    "invalid regular expression in REGEX_TEST()");
  }
  cache.insert(cache.begin(), slot{pattern, icase, re});
  if (cache.size() > 16)
    cache.pop_back();
  return re;
}

json regex_test(args_t& a) {
  std::string text = str_arg(a, 0);
  auto re = cached_regex(str_arg(a, 1), arg_bool(a, 2, false));
  try {
    return std::regex_search(text, *re);
  } catch (const std::regex_error&) {
    throw aql_error(error_kind::runtime,
                    "regular expression too complex in REGEX_TEST()");
  }
}

constexpr entry entries[] = {
  {"CONCAT", {1, variadic}, concat},
  {"CONCAT_SEPARATOR", {2, variadic}, concat_separator},
  {"LOWER", {1, 1}, map_case<lower_cp>},
  {"UPPER", {1, 1}, map_case<upper_cp>},
  {"SUBSTRING", {2, 3}, substring},
  {"LEFT", {2, 2}, left},
  {"RIGHT", {2, 2}, right},
  {"TRIM", {1, 2}, trim},
  {"LTRIM", {1, 2}, trim_one_side<trim_left>},
  {"RTRIM", {1, 2}, trim_one_side<trim_right>},
  {"CONTAINS", {2, 3}, contains},
  {"LIKE", {2, 3}, like},
  {"SPLIT", {1, 3}, split},
  {"REVERSE", {1, 1}, reverse},
  {"STARTS_WITH", {2, 3}, starts_with},
  {"REGEX_TEST", {2, 3}, regex_test},
};

} // namespace

std::span<const entry> string_functions() {
  return entries;
}

} // namespace themis::aql::fn
