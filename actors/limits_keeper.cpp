#include "actors/limits_keeper.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"

namespace themis {

namespace {

caf::behavior limits_keeper(caf::event_based_actor* self,
                            std::shared_ptr<server_context> ctx) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto now = steady_ns();
      auto& m = ctx->metrics;
      ctx->limiter.sweep(now);
      m.limiter_keys = static_cast<int64_t>(ctx->limiter.size());
      m.limiter_evictions = ctx->limiter.evictions.load();
      m.limiter_dry_run = ctx->limiter.dry_run_refusals.load();
      m.writer_shed = ctx->writer_admission.shed.load();
      m.writer_queue = ctx->writer_admission.queued();
      m.breaker_rejected = ctx->writer_breaker->rejected.load();
      // an open breaker whose time is up is ready for trials even if no
      // write has come to move it (readiness must not wait for traffic)
      m.writer_breaker_state =
        static_cast<int>(ctx->writer_breaker->state_at(now));
      m.breaker_opened = ctx->writer_breaker->opened.load();
      m.faults_injected = ctx->faults.injected.load();
      self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_limits_keeper(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn(limits_keeper, std::move(ctx));
}

} // namespace themis
