#pragma once
/// The store writer actor: the only writer of the embedded engine. Requests
/// that queue up while a commit runs are committed together in the next
/// group (group commit); each requester is answered only after COMMIT.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_store_writer(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx);

} // namespace themis
