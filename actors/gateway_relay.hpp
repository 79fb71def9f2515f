#pragma once
/// A streamed upstream answer being relayed to one client request (issue
/// 23): the connection actor holds one per request whose answer may
/// stream. Its end cancels the pipe, so a client that goes away (or a
/// reply that came buffered after all) frees the upstream connection.
/// Private to actors/.

#include <caf/atom.hpp>
#include <memory>

#include "gateway/body_pipe.hpp"

namespace themis {

struct gateway_tunnel_slot; // (actors/gateway_tunnel.hpp)

/// "More of request `id`'s upstream body is waiting" (or a paused relay
/// checks again whether its client caught up).
using gw_body_atom = caf::atom_constant<caf::atom("gw_body")>;

struct gateway_relay {
  explicit gateway_relay(std::shared_ptr<gateway::body_pipe> p) :
    pipe(std::move(p)) {}
  gateway_relay(gateway_relay&& o) noexcept :
    pipe(std::move(o.pipe)), head_sent(o.head_sent), retry(o.retry),
    tunnel(o.tunnel) {}
  gateway_relay(const gateway_relay&) = delete;
  gateway_relay& operator=(const gateway_relay&) = delete;
  gateway_relay& operator=(gateway_relay&&) = delete;
  ~gateway_relay() {
    if (pipe)
      pipe->cancel();
  }
  std::shared_ptr<gateway::body_pipe> pipe;
  bool head_sent = false; ///< the head went out: bytes may follow
  bool retry = false;     ///< a delayed check is scheduled (slow client)
  bool tunnel = false;    ///< a WebSocket tunnel's upstream → client half
};

} // namespace themis
