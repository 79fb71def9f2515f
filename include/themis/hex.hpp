#pragma once
/// Hex digit decoding shared by the codecs (percent-encoded paths) and the
/// handlers (query strings).

namespace themis {

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
