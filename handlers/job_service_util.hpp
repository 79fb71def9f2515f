#pragma once
/// Small helpers shared by job_service.cpp (job state) and
/// job_service_http.cpp (request handling). Private to handlers/job_service.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

namespace themis::detail {

inline nlohmann::json iso8601(int64_t ms) {
  if (ms <= 0)
    return nullptr;
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

/// ThemisDB's timestamp: `YYYY-MM-DDTHH:MM:SSZ`, no milliseconds.
inline nlohmann::json iso8601_s(int64_t ms) {
  auto j = iso8601(ms);
  if (j.is_null())
    return j;
  auto s = j.get<std::string>();
  return s.substr(0, 19) + "Z";
}

inline bool terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

} // namespace themis::detail
