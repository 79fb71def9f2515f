#pragma once
/// The changefeed hub: receives the events of every group commit from the
/// store writer and fans them out — to subscriber actors (streams) and to
/// long-poll waiters. It knows the last published sequence, which is what
/// makes the backfill-then-live hand-over exact: a subscriber reads the log
/// up to the tip the hub names when it registers, and gets everything
/// after it live.

#include <caf/fwd.hpp>
#include <cstdint>
#include <functional>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_changefeed_hub(caf::actor_system& sys,
                                std::shared_ptr<server_context> ctx);

/// For an actor that follows the hub (pg_notify_hub, cache_purger):
/// subscribes `self` now and again whenever the hub goes down (a restarted
/// hub has no subscribers), retrying every 100 ms while it is not there.
/// Sets `self`'s down handler; the returned handler (of the subscribe
/// message) goes into the actor's behaviour, beside its publish handler.
/// `on_tip` gets the last sequence the hub names at each subscription.
caf::message_handler
follow_changefeed_hub(caf::event_based_actor* self,
                      std::function<void(uint64_t)> on_tip = {});

} // namespace themis
