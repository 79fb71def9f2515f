#include "protocols/mqtt/mqtt_codec.hpp"

namespace themis::mqtt {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size())
      return false;
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // overlong forms, surrogates, beyond U+10FFFF, and U+0000
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp > 0x10FFFF || cp == 0)
      return false;
    i += n;
  }
  return true;
}

bool valid_topic_name(std::string_view t) {
  if (t.empty() || t.size() > 65535)
    return false;
  return t.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view f) {
  if (f.empty())
    return false;
  size_t start = 0;
  while (true) {
    auto end = f.find('/', start);
    auto level =
      f.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                    : end - start);
    if (level.find_first_of("+#") != std::string_view::npos &&
        level.size() != 1)
      return false; // a wildcard must be the whole level
    if (level == "#" && end != std::string_view::npos)
      return false; // '#' only last
    if (end == std::string_view::npos)
      return true;
    start = end + 1;
  }
}

bool split_shared(std::string_view f, std::string& group, std::string& filter) {
  constexpr std::string_view prefix = "$share/";
  if (f.substr(0, prefix.size()) != prefix)
    return false;
  auto rest = f.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  group = std::string(rest.substr(0, slash));
  if (group.find_first_of("+#") != std::string::npos)
    return false;
  filter = std::string(rest.substr(slash + 1));
  return !filter.empty();
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#'))
    return false;
  size_t fi = 0, ti = 0;
  while (true) {
    auto fe = filter.find('/', fi);
    auto flevel = filter.substr(
      fi, fe == std::string_view::npos ? std::string_view::npos : fe - fi);
    if (flevel == "#")
      return true; // also matches the parent level ("a/#" matches "a")
    bool t_done = ti > topic.size();
    if (t_done)
      return false;
    auto te = topic.find('/', ti);
    auto tlevel = topic.substr(
      ti, te == std::string_view::npos ? std::string_view::npos : te - ti);
    if (flevel != "+" && flevel != tlevel)
      return false;
    bool f_last = fe == std::string_view::npos;
    bool t_last = te == std::string_view::npos;
    if (f_last || t_last) {
      if (f_last && t_last)
        return true;
      if (t_last && !f_last) {
        // the topic ended: only a trailing "/#" still matches
        auto rest = filter.substr(fe + 1);
        return rest == "#";
      }
      return false;
    }
    fi = fe + 1;
    ti = te + 1;
  }
}

} // namespace themis::mqtt
