#pragma once
/// One actor per HTTP/1.1 connection: owns the socket (tcp_connection) and
/// the http1_session, hands requests to the router and writes to the store
/// writer through its mailbox. A handler exception answers 500 on this
/// connection only; an actor crash closes this socket only.

#include <caf/fwd.hpp>
#include <memory>

#include "actors/messages.hpp"

namespace themis {

struct server_context;

/// Spawns a connection actor for an accepted socket.
caf::actor spawn_http_connection(caf::actor_system& sys, connection_ptr conn,
                                 std::shared_ptr<server_context> ctx);

} // namespace themis
