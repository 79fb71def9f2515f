#pragma once
/// The purge hook (issue 22, docs/caching.md): an actor subscribed to the
/// changefeed hub — so every committed write, whatever protocol made it
/// (REST, AQL, SQL, MQTT ingest), reaches it once — that queues the
/// surrogate keys the write touched, and a thread that sends them, after a
/// short coalescing window, to `cache.purge_url` (libcurl). The store
/// writer never waits for it: the hub's send is asynchronous, the queue is
/// bounded in bytes (overflow purges everything), failures are logged and
/// counted in /metrics. Spawned only when `cache.purge_url` is set.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_cache_purger(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx);

} // namespace themis
