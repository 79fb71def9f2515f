#pragma once
/// Access log records (HTTP requests, MQTT and PostgreSQL sessions and
/// failed logins), one line each, as logfmt text or JSON (log.access,
/// log.access_format). Callers test `enabled()` — one relaxed atomic load
/// — before building a record, so a disabled access log costs nothing
/// more. With log.access off, records still reach the server log at debug
/// level (log.level debug shows connections and auth failures).

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
} // namespace spdlog

namespace themis::access_log {

enum class format { text, json };

/// One key and value of a record; values are strings, integers, reals or
/// booleans.
struct field {
  enum class kind { str, integer, real, boolean };
  std::string_view key;
  kind type = kind::str;
  std::string_view s;
  int64_t i = 0;
  double d = 0;

  field(std::string_view k, std::string_view v) : key(k), s(v) {}
  field(std::string_view k, const std::string& v) : key(k), s(v) {}
  field(std::string_view k, const char* v) : key(k), s(v) {}
  field(std::string_view k, bool v) :
    key(k), type(kind::boolean), i(v ? 1 : 0) {}
  field(std::string_view k, double v) : key(k), type(kind::real), d(v) {}
  template <std::integral I>
  requires(!std::same_as<I, bool>) field(std::string_view k, I v) :
    key(k), type(kind::integer), i(static_cast<int64_t>(v)) {}
};

namespace detail {
/// 0: nowhere; 1: the access log; 2: the server log at debug level.
inline std::atomic<int> route{0};
/// Where route 1 writes, and how (server_log sets it; the logger lives
/// until exit).
void configure(spdlog::logger* access, format f);
} // namespace detail

inline bool enabled() {
  return detail::route.load(std::memory_order_relaxed) != 0;
}

/// Writes one record: `proto` and `event` first, then `fields` in order.
void write(std::string_view proto, std::string_view event,
           std::initializer_list<field> fields);

/// One line as it would be written (tests, and the debug route).
void format_line(std::string& out, format f, std::string_view proto,
                 std::string_view event, std::initializer_list<field> fields);

} // namespace themis::access_log
