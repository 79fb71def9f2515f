#pragma once
/// One actor per QUIC connection (HTTP/3): spawned by the h3_udp demux on
/// a client's first Initial packet.

#include <caf/fwd.hpp>
#include <memory>
#include <string>

#include "protocols/http3/h3_session.hpp"

namespace themis {

struct server_context;
class h3_udp;

/// `ip_slot`: the client IP whose overload.max_connections_per_ip slot
/// this connection holds (released when it ends; empty: none).
caf::actor spawn_h3_connection(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx,
                               std::shared_ptr<h3_udp> udp,
                               http3::initial_info first, std::string ip_slot);

/// The IP address (no port) of a raw sockaddr, as the TCP listeners print
/// it (the per-IP limit's key).
std::string peer_ip(const std::string& raw);

} // namespace themis
