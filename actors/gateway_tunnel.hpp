#pragma once
/// WebSocket (Upgrade) pass-through to an upstream endpoint (issue 23): a
/// connection of its own, outside the keep-alive pool, that carries the
/// client's upgrade request and, after the upstream's 101, bytes both
/// ways. Upstream → client goes through a gateway::body_pipe (bounded,
/// the reader stops while the client lags); client → upstream through
/// gateway_tunnel::send (the client's reads pause while its queue is
/// over the window). No bytes either way for the idle timeout, either
/// side closing, or the client's actor ending closes both.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "actors/gateway_pool.hpp"
#include "gateway/body_pipe.hpp"

namespace themis {

/// The client → upstream half, used by the client's connection actor.
class gateway_tunnel {
public:
  virtual ~gateway_tunnel() = default;
  /// Queues bytes for the upstream (thread-safe).
  virtual void send(std::string bytes) = 0;
  /// Bytes queued and not yet written to the upstream.
  virtual size_t queued() const = 0;
  /// The client ended: the upstream connection closes (thread-safe).
  virtual void close() = 0;
};

/// Where the tunnel is left for the connection actor: set before the
/// 101 reply is sent, so the reply's receiver finds it.
struct gateway_tunnel_slot {
  std::shared_ptr<gateway_tunnel> tunnel;
};

} // namespace themis
