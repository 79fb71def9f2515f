/// UTF-8 decoding and simple case mapping for the string functions and
/// LIKE. Decoding never fails: stored strings may hold any bytes, and a
/// function must neither crash nor silently drop them.

#include "engine/aql/functions_impl.hpp"

namespace themis::aql::fn {

namespace {

bool is_cont(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

} // namespace

utf8_char utf8_decode(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  unsigned char b0 = at(0);
  if (b0 < 0x80)
    return {b0, 1};
  utf8_char invalid{raw_byte_base + b0, 1};
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!is_cont(at(1)))
      return invalid;
    return {(uint32_t(b0 & 0x1F) << 6) | (at(1) & 0x3F), 2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned char b1 = at(1);
    // overlong (E0 < A0) and surrogate (ED >= A0) forms are invalid
    bool ok = is_cont(b1) && !(b0 == 0xE0 && b1 < 0xA0) &&
              !(b0 == 0xED && b1 >= 0xA0) && is_cont(at(2));
    if (!ok)
      return invalid;
    return {(uint32_t(b0 & 0x0F) << 12) | (uint32_t(b1 & 0x3F) << 6) |
              (at(2) & 0x3F),
            3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned char b1 = at(1);
    bool ok = is_cont(b1) && !(b0 == 0xF0 && b1 < 0x90) &&
              !(b0 == 0xF4 && b1 >= 0x90) && is_cont(at(2)) && is_cont(at(3));
    if (!ok)
      return invalid;
    return {(uint32_t(b0 & 0x07) << 18) | (uint32_t(b1 & 0x3F) << 12) |
              (uint32_t(at(2) & 0x3F) << 6) | (at(3) & 0x3F),
            4};
  }
  return invalid;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp >= raw_byte_base + 0x80 && cp <= raw_byte_base + 0xFF) {
    out.push_back(static_cast<char>(cp - raw_byte_base));
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<uint32_t> utf8_code_points(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = utf8_decode(s, i);
    out.push_back(c.cp);
    i += c.len;
  }
  return out;
}

std::vector<size_t> utf8_offsets(std::string_view s) {
  std::vector<size_t> out;
  out.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size();) {
    out.push_back(i);
    i += utf8_decode(s, i).len;
  }
  out.push_back(s.size());
  return out;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n)
    i += utf8_decode(s, i).len;
  return n;
}

namespace {

/// Latin Extended-A alternates upper/lower in pairs, but the parity flips
/// at U+0139 and U+0179; true when `cp` is the upper-case member.
bool latin_ext_a_is_upper(uint32_t cp) {
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
    return cp % 2 == 1;
  return cp % 2 == 0;
}

bool latin_ext_a_paired(uint32_t cp) {
  return cp >= 0x100 && cp <= 0x17E && cp != 0x130 && cp != 0x131 &&
         cp != 0x138 && cp != 0x149 && cp != 0x178;
}

} // namespace

uint32_t lower_cp(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
    return cp + 32;
  if (latin_ext_a_paired(cp))
    return latin_ext_a_is_upper(cp) ? cp + 1 : cp;
  if (cp == 0x178)
    return 0xFF;
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
    return cp + 32;
  if (cp == 0x386)
    return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A)
    return cp + 37;
  if (cp == 0x38C)
    return 0x3CC;
  if (cp == 0x38E || cp == 0x38F)
    return cp + 63;
  if (cp >= 0x410 && cp <= 0x42F)
    return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F)
    return cp + 80;
  return cp;
}

uint32_t upper_cp(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
    return cp - 32;
  if (cp == 0xFF)
    return 0x178;
  if (latin_ext_a_paired(cp))
    return latin_ext_a_is_upper(cp) ? cp : cp - 1;
  if (cp >= 0x3B1 && cp <= 0x3CB && cp != 0x3C2)
    return cp - 32;
  if (cp == 0x3C2)
    return 0x3A3; // final sigma
  if (cp == 0x3AC)
    return 0x386;
  if (cp >= 0x3AD && cp <= 0x3AF)
    return cp - 37;
  if (cp == 0x3CC)
    return 0x38C;
  if (cp == 0x3CD || cp == 0x3CE)
    return cp - 63;
  if (cp >= 0x430 && cp <= 0x44F)
    return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F)
    return cp - 80;
  return cp;
}

} // namespace themis::aql::fn
