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

caf::actor spawn_redis_limiter(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

/// themis_redis_limiter_* families (state, decisions, fallbacks, episodes).
void add_redis_limiter_collector(metrics_registry& m);

} // namespace themis
