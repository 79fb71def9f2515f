#pragma once
/// The parameters of GET /changefeed/stream (and /v1/changes/stream):
/// themisd's filter and resume point plus ThemisDB's stream bounds and
/// at-least-once consumers, read and checked before the stream starts.

#include <cstdint>
#include <optional>
#include <string>

#include "handlers/change_filter.hpp"
#include "themis/api_message.hpp"

namespace themis {

struct route_context;

struct sse_options {
  change_filter filter;
  uint64_t after = 0;        ///< exclusive resume point
  uint64_t heartbeat_ms = 0; ///< comment line when idle this long
  uint64_t retry_ms = 2000;  ///< the `retry:` line
  uint64_t max_seconds = 0;  ///< end after this long (0: never)
  uint64_t max_events = 0;   ///< end after this many events (0: never)
  bool keep_alive = true;    ///< false: send the backlog and end
  /// At-least-once delivery (handlers/consumer_offsets.hpp).
  bool consumer = false;
  std::string consumer_id;
  std::string tenant; ///< consumer ids are per tenant
  uint64_t ack_timeout_ms = 30000;
};

/// Reads and checks the request's parameters; the error answer (400, 410,
/// 429) if they are not usable.
std::optional<api_response> read_sse_options(route_context& ctx,
                                             sse_options& out);

} // namespace themis
