#pragma once
/// The actor of one upstream cluster (issue 23): owns its connection pool,
/// active health checks, load balancer, outlier detector, breaker limits,
/// retry budget and coalescing table. A connection actor asks it
/// (gw_fwd_atom, call) and gets the api_response to relay — the upstream's,
/// or a gateway error (502/503/504 with x-themis-gateway-reason). A
/// streamed answer's reply is its head; the body follows through the
/// call's body_pipe, straight from the upstream connection.

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <string>

#include "gateway/body_pipe.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/gateway_stats.hpp"

namespace boost::asio {
class io_context;
}

namespace themis {

struct gateway_tunnel_slot;

using gw_fwd_atom = caf::atom_constant<caf::atom("gw_fwd")>;
using gw_retire_atom = caf::atom_constant<caf::atom("gw_retire")>;

/// One request for the cluster, prepared by the connection actor.
struct gateway_call {
  std::shared_ptr<const std::string> wire; ///< request head + body
  bool head = false;
  bool idempotent = false;
  std::string coalesce_key; ///< empty: never shared
  uint32_t max_waiters = 0;
  uint64_t affinity = 0; ///< ring-hash key
  gateway::forward_action fwd;
  /// Set when the answer may be streamed (not HEAD, not coalesced): the
  /// body of a streamed answer arrives here, the reply carries only the
  /// head (`stream` set).
  std::shared_ptr<gateway::body_pipe> body;
  /// A WebSocket handshake (`wire` asks for the upgrade): on a 101 the
  /// tunnel is left here and `body` carries the upstream's bytes.
  std::shared_ptr<gateway_tunnel_slot> tunnel;
};

/// The header a gateway-made answer carries (and an upstream's never does:
/// relayed answers have it removed).
inline constexpr const char* gateway_reason_header = "x-themis-gateway-reason";

caf::actor spawn_gateway_cluster(caf::actor_system& sys,
                                 boost::asio::io_context& io,
                                 const gateway::cluster_config& cfg,
                                 std::shared_ptr<gateway::cluster_stats> st);

} // namespace themis
