#pragma once
/// One PostgreSQL client: a blocking actor on its own thread (as a
/// PostgreSQL backend is a process), owning the socket's byte stream and a
/// pg_frontend. The store writer is asked synchronously.

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace themis {

struct server_context;
class tcp_connection;
class wire_transport;

caf::actor spawn_pg_connection(caf::actor_system& sys,
                               std::shared_ptr<tcp_connection> conn,
                               std::shared_ptr<server_context> ctx);

/// A backend on a socket it owns (closes) that carries the protocol
/// stream in clear text: one end of the socket pair of PostgreSQL over
/// WebSocket (actors/ws_pg_bridge.cpp). No TLS offered ('S' → 'N': the
/// WebSocket's TLS protects it).
caf::actor spawn_pg_backend_on_fd(caf::actor_system& sys, int fd,
                                  std::string remote,
                                  std::shared_ptr<server_context> ctx);

/// PostgreSQL over WebSocket: each binary message a chunk of the raw
/// protocol stream, both ways (Neon's framing).
caf::actor spawn_pg_over_ws(caf::actor_system& sys,
                            std::shared_ptr<wire_transport> transport,
                            std::shared_ptr<server_context> ctx);

} // namespace themis
