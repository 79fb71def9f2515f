#pragma once
/// The Redis-backed rate limiter's actor (issue 25, docs/cluster.md),
/// under limits_sup when `rate_limiting.backend: redis`. It owns the Redis
/// link (cluster/redis_link.hpp: hiredis on a thread of its own) and
/// answers the router's limit questions (limits/limit_wire.hpp) asked
/// through a front-end's service port: the question comes in, the link
/// decides on its thread, the answer comes back here as a message and
/// goes to the asker. No scheduler thread waits on Redis.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;
class metrics_registry;

caf::actor spawn_redis_limiter(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

/// themis_redis_limiter_* families (state, decisions, fallbacks, episodes).
void add_redis_limiter_collector(metrics_registry& m);

} // namespace themis
