#pragma once
/// The actor under limits_sup that looks after the shared limiter: drops
/// idle buckets and publishes the limiter, admission and breaker counters
/// to /metrics once a second. Checks themselves run on the caller's thread
/// (limits/rate_limiter.hpp): a message hop per request would cost more
/// than the whole limit decision.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_limits_keeper(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

} // namespace themis
