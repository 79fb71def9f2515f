#pragma once
/// Byte builders for PostgreSQL protocol tests: big-endian integers,
/// C strings, startup packets and typed messages.

#include <cstdint>
#include <string>
#include <string_view>

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

} // namespace pg_test
