#pragma once
/// Messages of the HTTP/3 actors (h3_listener, h3_connection).

#include <caf/atom.hpp>

namespace themis {

/// A datagram for a connection: (remote sockaddr bytes, datagram).
using h3_packet_atom = caf::atom_constant<caf::atom("t_h3pkt")>;
/// The connection's QUIC timer: (generation).
using h3_timer_atom = caf::atom_constant<caf::atom("t_h3tmr")>;
/// A new connection actor for the listener to track.
using h3_conn_atom = caf::atom_constant<caf::atom("t_h3conn")>;
/// Registry name of the HTTP/3 listener actor.
constexpr caf::atom_value h3_listener_name = caf::atom("t_h3_l");

} // namespace themis
