#include "tracing/trace_context.hpp"

#include <openssl/rand.h>

#include <random>

namespace themis::tracing {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1; // upper case is invalid in traceparent
}

template <size_t N>
bool parse_hex(std::string_view s, std::array<uint8_t, N>& out) {
  if (s.size() != 2 * N)
    return false;
  bool nonzero = false;
  for (size_t i = 0; i < N; ++i) {
    int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
    nonzero = nonzero || out[i] != 0;
  }
  return nonzero;
}

template <size_t N>
std::array<uint8_t, N> random_id() {
  std::array<uint8_t, N> id{};
  // ids need uniqueness, not secrecy: a per-thread generator seeded from
  // the OS, no lock on the request path
  thread_local std::mt19937_64 gen{[] {
    uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1)
      seed = std::random_device{}();
    return seed;
  }()};
  for (size_t i = 0; i < N; i += 8) {
    auto r = gen();
    for (size_t j = 0; j < 8 && i + j < N; ++j)
      id[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  if (id == std::array<uint8_t, N>{})
    id[N - 1] = 1;
  return id;
}

} // namespace

std::optional<trace_context> parse_traceparent(std::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
    return std::nullopt;
  int v1 = hex_value(v[0]), v2 = hex_value(v[1]);
  if (v1 < 0 || v2 < 0)
    return std::nullopt;
  int version = v1 << 4 | v2;
  if (version == 0xff)
    return std::nullopt;
  if (version == 0 && v.size() != 55)
    return std::nullopt;
  if (version > 0 && v.size() > 55 && v[55] != '-')
    return std::nullopt;
  trace_context c;
  if (!parse_hex(v.substr(3, 32), c.trace) ||
      !parse_hex(v.substr(36, 16), c.span))
    return std::nullopt;
  int f1 = hex_value(v[53]), f2 = hex_value(v[54]);
  if (f1 < 0 || f2 < 0)
    return std::nullopt;
  c.sampled = ((f1 << 4 | f2) & 1) != 0;
  return c;
}

std::string format_traceparent(const trace_id& t, const span_id& s,
                               bool sampled) {
  return "00-" + to_hex(t) + "-" + to_hex(s) + (sampled ? "-01" : "-00");
}

std::string sanitize_tracestate(std::string_view v) {
  if (v.size() > 512)
    return {};
  size_t members = 1;
  for (char c : v) {
    if (c == ',')
      ++members;
    else if (c < 0x20 || c > 0x7e)
      return {};
  }
  return members > 32 ? std::string() : std::string(v);
}

trace_id new_trace_id() {
  return random_id<16>();
}

span_id new_span_id() {
  return random_id<8>();
}

} // namespace themis::tracing
