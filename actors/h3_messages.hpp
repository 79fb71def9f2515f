#pragma once
/// Messages of the HTTP/3 actors (h3_listener, h3_connection).

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace themis {

/// A datagram for a connection: (remote sockaddr bytes, datagram).
using h3_packet_atom = caf::atom_constant<caf::atom("t_h3pkt")>;
/// The datagrams for one connection that one wake-up of the socket read:
/// (std::shared_ptr<h3_datagrams>); read together, answered in one
/// write pass (one CAF message, one wake-up of the actor for the lot).
using h3_packets_atom = caf::atom_constant<caf::atom("t_h3pkts")>;
/// The connection's QUIC timer: (generation).
using h3_timer_atom = caf::atom_constant<caf::atom("t_h3tmr")>;
/// A new connection actor for the listener to track.
using h3_conn_atom = caf::atom_constant<caf::atom("t_h3conn")>;
/// Registry name of the HTTP/3 listener actor.
constexpr caf::atom_value h3_listener_name = caf::atom("t_h3_l");

/// (remote sockaddr bytes, datagram) in arrival order.
struct h3_datagrams {
  std::vector<std::pair<std::string, std::string>> items;
};

} // namespace themis

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<themis::h3_datagrams>)
