#pragma once
/// Wall-clock milliseconds since the Unix epoch: what records, audit
/// events, backups and keys store (standard library only).

#include <chrono>
#include <cstdint>

namespace themis {

inline int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace themis
