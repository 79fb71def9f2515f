#pragma once
/// One actor per QUIC connection (HTTP/3): spawned by the h3_udp demux on
/// a client's first Initial packet.

#include <caf/fwd.hpp>
#include <memory>

#include "protocols/http3/h3_session.hpp"

namespace themis {

struct server_context;
class h3_udp;

caf::actor spawn_h3_connection(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx,
                               std::shared_ptr<h3_udp> udp,
                               http3::initial_info first);

} // namespace themis
