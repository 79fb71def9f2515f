#pragma once
/// Fault injection (off unless debug.fault_injection): per actor type, a
/// probability of crashing or failing a message and a stall per message.
/// Set through POST /v1/_admin/faults; read by the actors on every message
/// they handle. Proves that supervision restarts what crashed and that
/// overload protection answers fast when a dependency stalls.

#include <atomic>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string_view>

namespace themis {

enum class fault_target : uint8_t {
  store_writer,
  jobs_manager,
  changefeed_hub,
  count_
};

struct fault_spec {
  std::atomic<uint32_t> crash_ppm{0}; ///< parts per million of messages
  std::atomic<uint32_t> error_ppm{0}; ///< answered with an error instead
  std::atomic<uint32_t> stall_ms{0};  ///< slept before handling
};

class fault_table {
public:
  fault_spec& at(fault_target t) { return specs_[static_cast<size_t>(t)]; }

  static bool parse_target(std::string_view s, fault_target& out) {
    if (s == "store_writer")
      out = fault_target::store_writer;
    else if (s == "jobs_manager")
      out = fault_target::jobs_manager;
    else if (s == "changefeed_hub")
      out = fault_target::changefeed_hub;
    else
      return false;
    return true;
  }

  /// True with probability ppm / 1e6.
  static bool roll(uint32_t ppm) {
    if (ppm == 0)
      return false;
    thread_local std::mt19937 rng{std::random_device{}()};
    return std::uniform_int_distribution<uint32_t>(0, 999'999)(rng) < ppm;
  }

  std::atomic<uint64_t> injected{0}; ///< faults fired

private:
  fault_spec specs_[static_cast<size_t>(fault_target::count_)];
};

/// The exception an injected crash throws (the actor dies; its supervisor
/// restarts it).
struct injected_crash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace themis
