#include "actors/pg_notify_hub.hpp"

#include <caf/all.hpp>

#include "actors/changefeed_hub.hpp"
#include "actors/messages.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/server_context.hpp"
#include "handlers/change_filter.hpp"

namespace themis {

namespace {

caf::behavior pg_notify_hub(caf::event_based_actor* self,
                            std::shared_ptr<server_context> ctx) {
  return follow_changefeed_hub(self).or_else(
    [=](publish_atom, const published_batch& b) {
      if (ctx->pg_registry)
        ctx->pg_registry->publish_changes(*b);
    });
}

} // namespace

caf::actor spawn_pg_notify_hub(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn(pg_notify_hub, std::move(ctx));
}

} // namespace themis
