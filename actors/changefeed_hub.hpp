#pragma once
/// The changefeed hub: receives the events of every group commit from the
/// store writer and fans them out — to subscriber actors (streams) and to
/// long-poll waiters. It knows the last published sequence, which is what
/// makes the backfill-then-live hand-over exact: a subscriber reads the log
/// up to the tip the hub names when it registers, and gets everything
/// after it live.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_changefeed_hub(caf::actor_system& sys,
                                std::shared_ptr<server_context> ctx);

} // namespace themis
