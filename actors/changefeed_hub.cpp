#include "actors/changefeed_hub.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <unordered_set>
#include <vector>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"

namespace themis {

namespace {

struct waiter {
  uint64_t after;
  std::chrono::steady_clock::time_point deadline;
  caf::typed_response_promise<uint64_t> promise;
};

struct hub_state {
  uint64_t last_seq = 0;
  std::unordered_set<caf::actor> subscribers;
  std::vector<waiter> waiters;
};

using hub_actor = caf::stateful_actor<hub_state>;

/// Answers waiters whose sequence was passed; drops expired ones (their
/// requester already saw its own timeout).
void wake_waiters(hub_actor* self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  auto keep = st.waiters.begin();
  for (auto& w : st.waiters) {
    if (st.last_seq > w.after)
      w.promise.deliver(st.last_seq);
    else if (w.deadline > now)
      *keep++ = std::move(w);
  }
  st.waiters.erase(keep, st.waiters.end());
}

caf::behavior changefeed_hub(hub_actor* self,
                             std::shared_ptr<server_context> ctx) {
  self->state.last_seq = ctx->reader->last_sequence();
  self->set_down_handler([self, ctx](caf::down_msg& dm) {
    self->state.subscribers.erase(caf::actor_cast<caf::actor>(dm.source));
    ctx->metrics.changefeed_subscribers =
      static_cast<int64_t>(self->state.subscribers.size());
  });
  return {
    [=](publish_atom, const event_batch& batch) {
      auto& fault = ctx->faults.at(fault_target::changefeed_hub);
      if (fault_table::roll(fault.crash_ppm.load())) {
        ++ctx->faults.injected;
        throw injected_crash("injected crash in the changefeed hub");
      }
      if (batch->empty())
        return;
      auto& st = self->state;
      st.last_seq = batch->back().sequence;
      ctx->metrics.changefeed_events += batch->size();
      ctx->metrics.hub_mailbox = static_cast<int64_t>(self->mailbox().size());
      if (!st.subscribers.empty()) {
        auto out = std::make_shared<const published_events>(
          published_events::render(*batch));
        for (auto& s : st.subscribers)
          self->send(s, publish_atom::value, out);
      }
      wake_waiters(self);
    },
    [=](wait_atom, uint64_t after,
        uint32_t timeout_ms) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.last_seq > after)
        return st.last_seq;
      wake_waiters(self); // prunes expired waiters
      auto rp = self->make_response_promise<uint64_t>();
      st.waiters.push_back({after,
                            std::chrono::steady_clock::now() +
                              std::chrono::milliseconds(timeout_ms),
                            rp});
      return rp;
    },
    [=](subscribe_atom, const caf::actor& subscriber) {
      // Registered before the reply: everything after the tip we name
      // reaches the subscriber live.
      self->monitor(subscriber);
      self->state.subscribers.insert(subscriber);
      ctx->metrics.changefeed_subscribers =
        static_cast<int64_t>(self->state.subscribers.size());
      return self->state.last_seq;
    },
    [=](unsub_atom, const caf::actor& subscriber) {
      self->demonitor(subscriber.address());
      self->state.subscribers.erase(subscriber);
      ctx->metrics.changefeed_subscribers =
        static_cast<int64_t>(self->state.subscribers.size());
    },
  };
}

} // namespace

caf::actor spawn_changefeed_hub(caf::actor_system& sys,
                                std::shared_ptr<server_context> ctx) {
  return sys.spawn(changefeed_hub, std::move(ctx));
}

caf::message_handler
follow_changefeed_hub(caf::event_based_actor* self,
                      std::function<void(uint64_t)> on_tip) {
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
        .then(
          [=](uint64_t tip) {
            if (on_tip)
              on_tip(tip);
          },
          [=](caf::error&) { retry(); });
    },
  };
}

} // namespace themis
