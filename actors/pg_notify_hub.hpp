#pragma once
/// The `themis_changes` channels of PostgreSQL's LISTEN (issue 36): an
/// actor subscribed to the changefeed hub (and again after the hub
/// restarts) that hands each committed group's events to the session
/// registry, which queues them for the sessions listening.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_pg_notify_hub(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

} // namespace themis
