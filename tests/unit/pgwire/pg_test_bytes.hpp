#pragma once
/// Byte builders for PostgreSQL protocol tests: big-endian integers,
/// C strings, startup packets and typed messages.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pg_test {

inline std::string i32(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
          static_cast<char>(u >> 8), static_cast<char>(u)};
}
inline std::string i16(int16_t v) {
  auto u = static_cast<uint16_t>(v);
  return {static_cast<char>(u >> 8), static_cast<char>(u)};
}
inline std::string cstr(std::string_view s) {
  return std::string(s) + '\0';
}
/// A startup-phase packet: length + body.
inline std::string packet(const std::string& body) {
  return i32(static_cast<int32_t>(body.size() + 4)) + body;
}
/// A typed message.
inline std::string msg(char type, const std::string& body) {
  return std::string(1, type) + i32(static_cast<int32_t>(body.size() + 4)) +
         body;
}

/// Backend messages in `sent` from byte `from` on, as (type, payload).
inline std::vector<std::pair<char, std::string>>
split_messages(const std::string& sent, size_t from = 0) {
  std::vector<std::pair<char, std::string>> out;
  size_t i = from;
  while (i + 5 <= sent.size()) {
    auto b = reinterpret_cast<const unsigned char*>(sent.data() + i + 1);
    size_t len =
      (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
    out.emplace_back(sent[i], sent.substr(i + 5, len - 4));
    i += 1 + len;
  }
  return out;
}

} // namespace pg_test
