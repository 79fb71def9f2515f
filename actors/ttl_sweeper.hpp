#pragma once
/// TTL indexes' sweeper (issue 22, docs/indexes.md "TTL"): once a second
/// it looks for documents whose TTL attribute plus expireAfter lies in the
/// past (a bounded index range per TTL index, on its own read-only
/// connection) and deletes them through the store writer like any other
/// write, so each deletion is a change event. Batches of at most 1000;
/// a full batch sweeps again at once, so a backlog drains without one
/// huge transaction. A document written since it was seen (another
/// revision) is left alone.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_ttl_sweeper(caf::actor_system& sys,
                             std::shared_ptr<server_context> ctx);

} // namespace themis
