#pragma once
/// The Redis-backed rate limiter's actor (issue 25, docs/cluster.md),
/// under limits_sup when `rate_limiting.backend: redis`. It owns the Redis
/// link (cluster/redis_link.hpp: hiredis on a thread of its own): starts
/// it, stops it with itself (a restart makes a fresh link) and publishes
/// its metrics. Connections ask the link directly (ask_redis_limit) and get
/// the answer as a message: no scheduler thread waits on Redis, and no
/// second hop through this actor's mailbox. It still answers
/// (ask_atom, api_request) with the same lines, for anyone without a
/// mailbox handler of their own.

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace themis {

struct server_context;
class metrics_registry;

/// The answer to ask_redis_limit: (limit_done_atom, id, answer lines).
using limit_done_atom = caf::atom_constant<caf::atom("t_limdone")>;

/// Hands a limit question (limits/limit_wire.hpp lines) straight to the
/// running Redis link: a connection asks without a hop through this
/// actor's mailbox, and the link's thread sends the answer to `reply_to`
/// within the Redis timeout (else the local fallback's). False when no
/// link runs (the actor is restarting) or the question is malformed.
bool ask_redis_limit(const std::string& query, const caf::actor& reply_to,
                     uint64_t id);

/// The live node count from etcd membership (actors/cluster_node): the
/// Redis link's local fallback divides limits by it instead of
/// `rate_limiting.redis.nodes_hint` (0: back to the hint). Kept for the
/// next link when the limiter restarts.
void set_redis_limiter_live_nodes(uint32_t n);

/// The Redis link's state (0 down, 1 connecting, 2 up), -1 when no link
/// runs; for /api/v1/cluster/status.
int redis_limiter_state();

caf::actor spawn_redis_limiter(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

/// themis_redis_limiter_* families (state, decisions, fallbacks, episodes).
void add_redis_limiter_collector(metrics_registry& m);

} // namespace themis
