#pragma once
/// Data messages (text or binary, whole messages, not frames; pings and
/// closes not counted) through one kind of WebSocket endpoint. The
/// server's metrics registry owns them (themis_websocket_messages_*_total);
/// sessions only add. Atomics only: no CAF, no sockets.

#include <atomic>
#include <cstdint>

namespace themis::ws {

struct ws_message_counters {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> sent{0};
};

} // namespace themis::ws
