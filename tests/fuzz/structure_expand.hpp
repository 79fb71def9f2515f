#pragma once
/// Deep and wide inputs for the fuzz targets of tree-building parsers
/// (issue 17). Random bytes never nest 5,000 deep or list 100,000 terms,
/// which is where parsers overflow their stack or go quadratic, so an input
/// that starts with `expand_marker` is not the text itself but a recipe
/// for one:
///
///     marker, shape, n0, n1, n2, part ('\x01' part)*
///
/// n = n0 | n1 << 8 | n2 << 16, capped by `max_n`. The low bit of `shape`
/// picks the form, the next bit picks custom parts or a built-in template
/// (shape >> 2 indexes the target's table, so a three-byte mutation reaches
/// every known hostile shape), and the top two bits are the target's own
/// (which limits to run under):
///
///     nested: prefix open×n middle close×n suffix   (parts 0..4)
///     wide:   prefix item (sep item)×(n-1) suffix    (parts 0..3)
///
/// In `open` and `item` the byte '\x02' becomes the repetition's index, so
/// names can be distinct (`LET a17 = …`, `{"k17": …}`). The result is capped
/// at `max_bytes`, which each target chooses so one run stays well under a
/// second with sanitizers.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::fuzz {

constexpr uint8_t expand_marker = 0xFE;

struct expand_template {
  bool wide;
  std::initializer_list<const char*> parts;
};

struct expanded {
  std::string text;
  uint8_t flags = 0; ///< the top two bits of `shape`, for the target
};

namespace detail {

inline void append_indexed(std::string& out, std::string_view frag,
                           size_t index) {
  for (char c : frag) {
    if (c == '\x02')
      out += std::to_string(index);
    else
      out += c;
  }
}

inline std::vector<std::string_view> split_parts(std::string_view s) {
  std::vector<std::string_view> parts;
  while (true) {
    auto p = s.find('\x01');
    parts.push_back(s.substr(0, p));
    if (p == std::string_view::npos)
      break;
    s.remove_prefix(p + 1);
  }
  return parts;
}

} // namespace detail

/// The expanded text when `data` is a recipe, else nothing (use the input
/// as it is). `table` may be empty (custom parts only).
inline std::optional<expanded>
expand(const uint8_t* data, size_t size,
       std::initializer_list<expand_template> table, size_t max_n,
       size_t max_bytes) {
  if (size < 5 || data[0] != expand_marker)
    return std::nullopt;
  uint8_t shape = data[1];
  size_t n = data[2] | size_t{data[3]} << 8 | size_t{data[4]} << 16;
  if (n > max_n)
    n = max_n;
  std::string_view rest(reinterpret_cast<const char*>(data) + 5, size - 5);
  bool wide = shape & 1;
  std::vector<std::string_view> parts;
  bool use_table = (shape & 2) && table.size() > 0;
  if (use_table) {
    // the table entry decides the form; the rest of the input is ignored
    auto& t = table.begin()[(shape >> 2 & 0x0F) % table.size()];
    wide = t.wide;
    for (auto* p : t.parts)
      parts.emplace_back(p);
  } else {
    parts = detail::split_parts(rest);
  }
  parts.resize(5); // missing parts are empty
  expanded out;
  out.flags = shape >> 6;
  auto& s = out.text;
  auto full = [&] { return s.size() >= max_bytes; };
  s.append(parts[0]);
  if (wide) {
    // prefix item (sep item)×(n-1) suffix
    for (size_t i = 0; i < n && !full(); ++i) {
      if (i > 0)
        s.append(parts[2]);
      detail::append_indexed(s, parts[1], i);
    }
    s.append(parts[3]);
  } else {
    // prefix open×n middle close×n suffix; the closes mirror the opens
    // that fit (up to twice the cap), so a capped text stays balanced
    size_t opened = 0;
    for (; opened < n && !full(); ++opened)
      detail::append_indexed(s, parts[1], opened);
    s.append(parts[2]);
    for (size_t i = 0; i < opened && s.size() < 2 * max_bytes; ++i)
      s.append(parts[3]);
    s.append(parts[4]);
  }
  return out;
}

} // namespace themis::fuzz
