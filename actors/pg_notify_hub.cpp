#include "actors/pg_notify_hub.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/server_context.hpp"
#include "handlers/change_filter.hpp"

namespace themis {

namespace {

caf::behavior pg_notify_hub(caf::event_based_actor* self,
                            std::shared_ptr<server_context> ctx) {
  auto retry = [self] {
    self->delayed_send(self, std::chrono::milliseconds(100),
                       subscribe_atom::value);
  };
  self->set_down_handler([=](caf::down_msg&) { retry(); });
  self->send(self, subscribe_atom::value);
  return {
    [=](subscribe_atom) {
      auto h = ::themis::registered(self->system(), changefeed_hub_name);
      if (!h)
        return retry();
      self->monitor(h);
      self
        ->request(h, std::chrono::seconds(10), subscribe_atom::value,
                  caf::actor_cast<caf::actor>(self))
        .then([](uint64_t) {}, [=](caf::error&) { retry(); });
    },
    [=](publish_atom, const published_batch& b) {
      if (ctx->pg_registry)
        ctx->pg_registry->publish_changes(*b);
    },
  };
}

} // namespace

caf::actor spawn_pg_notify_hub(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn(pg_notify_hub, std::move(ctx));
}

} // namespace themis
