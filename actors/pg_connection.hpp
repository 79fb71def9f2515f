#pragma once
/// One PostgreSQL client: a blocking actor on its own thread (as a
/// PostgreSQL backend is a process), owning the socket's byte stream and a
/// pg_frontend. The store writer is asked synchronously.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;
class tcp_connection;

caf::actor spawn_pg_connection(caf::actor_system& sys,
                               std::shared_ptr<tcp_connection> conn,
                               std::shared_ptr<server_context> ctx);

} // namespace themis
