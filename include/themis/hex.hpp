#pragma once
/// Hex digit decoding shared by the codecs (percent-encoded paths) and the
/// handlers (query strings).

#include <string>
#include <string_view>

namespace themis {

/// Lower-case hex of `bytes` (digests, random ids).
inline std::string hex_encode(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

/// Value of a hex digit, or -1.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace themis
