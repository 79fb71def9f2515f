#pragma once
/// Base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) — one
/// implementation for SCRAM, JWTs, HTTP2-Settings, password hashes and the
/// MQTT state and ingest documents. Standard library only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace themis {

namespace detail {

inline std::string b64_encode(std::string_view in, const char* alphabet,
                              bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(acc << (6 - bits)) & 63]);
  while (pad && out.size() % 4)
    out.push_back('=');
  return out;
}

/// Decodes without padding; false on a character outside the alphabet or
/// a length no encoder produces.
inline bool b64_decode(std::string_view in, char c62, char c63,
                       std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == c62             ? 62
            : c == c63             ? 63
                                   : -1;
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return bits < 6; // one leftover character cannot encode a byte
}

} // namespace detail

inline std::string base64_encode(std::string_view in) {
  return detail::b64_encode(
    in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    true);
}

/// Padded base64 (a multiple of 4 characters); nullopt if malformed.
inline std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4)
    return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && in.size() > pad && in[in.size() - 1 - pad] == '=')
    ++pad;
  std::string out;
  if (!detail::b64_decode(in.substr(0, in.size() - pad), '+', '/', out))
    return std::nullopt;
  return out;
}

inline std::string base64url_encode(std::string_view in) {
  return detail::b64_encode(
    in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    false);
}

/// Unpadded base64url (trailing '=' tolerated where a peer adds them).
inline bool base64url_decode(std::string_view in, std::string& out,
                             bool allow_padding = false) {
  while (allow_padding && !in.empty() && in.back() == '=')
    in.remove_suffix(1);
  return detail::b64_decode(in, '-', '_', out);
}

} // namespace themis
