#pragma once
/// Open connections per client IP (overload.max_connections_per_ip),
/// one count shared by every listener: the TCP ones (HTTP, MQTT,
/// PostgreSQL) and the QUIC one (HTTP/3), so a client cannot get round
/// the limit by switching transport. Private to actors/.

#include <string>

namespace themis {

struct server_context;

struct ip_slot {
  bool full = false;    ///< refused: the IP has its limit's worth open
  bool counted = false; ///< taken: release_ip_slot when the connection ends
};

/// Takes a slot for `ip` if the limit allows (no limit: nothing counted).
ip_slot take_ip_slot(server_context& ctx, const std::string& ip);
/// Gives back a slot take_ip_slot counted.
void release_ip_slot(server_context& ctx, const std::string& ip);

} // namespace themis
