/// Change triggers (see function_triggers.hpp): one actor reads each
/// trigger's events from the change log after its checkpoint and runs them
/// one at a time per trigger, each invocation in a detached worker.

#include "actors/function_triggers.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <map>

#include "actors/blocking_work.hpp"
#include "actors/changefeed_hub.hpp"
#include "actors/messages.hpp"
#include "actors/mqtt_broker.hpp"
#include "actors/server_context.hpp"
#include "functions/function_registry.hpp"
#include "handlers/change_filter.hpp"
#include "handlers/function_trigger_run.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace fn = functions;

namespace trigger_atoms {
using done = caf::atom_constant<caf::atom("f_done")>;
using retry = caf::atom_constant<caf::atom("f_retry")>;
using pump = caf::atom_constant<caf::atom("f_pump")>;
} // namespace trigger_atoms

namespace {

/// Events read from the log per page, and pages per pump message (the
/// actor yields between pumps, so a long backlog does not hog a thread).
constexpr size_t page_size = 256;
constexpr int pages_per_pump = 4;
constexpr auto tick_every = std::chrono::milliseconds(250);

struct change_runner {
  fn::trigger_spec spec;                  ///< spec.checkpoint: durable progress
  uint64_t scanned = 0;                   ///< the log is read up to here
  std::deque<engine::change_event> queue; ///< matching, after checkpoint
  bool busy = false;                      ///< an invocation or a retry pending
  uint32_t attempts = 0;                  ///< failures of queue.front()
  bool dirty = false;                     ///< the checkpoint is not saved yet
};

struct triggers_state {
  /// Shared with the workers, which may outlive a restarted actor.
  std::shared_ptr<handler_env> env;
  uint64_t generation = 0;
  uint64_t tip = 0;
  std::map<std::string, change_runner> runners;
};

using triggers_actor = caf::stateful_actor<triggers_state>;

/// Moves the checkpoint to `seq`: saved at once after an invocation (so a
/// restart re-runs as little as possible), or by the next tick when only
/// events that do not match were passed (`later`), which is as correct.
void save(change_runner& r, uint64_t seq, fn::function_registry& reg,
          bool later = false) {
  if (seq > r.spec.checkpoint) {
    r.spec.checkpoint = seq;
    r.dirty = true;
  }
  if (!r.dirty || later)
    return;
  try {
    reg.triggers().set_checkpoint(r.spec.id, r.spec.checkpoint);
    r.dirty = false;
  } catch (const std::exception& e) {
    // kept in memory; the next save writes it (a restart re-runs a little)
    spdlog::warn("trigger {}: checkpoint not saved: {}", r.spec.id, e.what());
  }
}

void update_lag(triggers_actor* self, fn::function_registry& reg) {
  uint64_t lag = 0;
  for (auto& [id, r] : self->state.runners)
    lag += self->state.tip > r.spec.checkpoint
             ? self->state.tip - r.spec.checkpoint
             : 0;
  reg.totals().trigger_lag = lag;
}

void reload(triggers_actor* self, fn::function_registry& reg) {
  auto& st = self->state;
  auto gen = reg.triggers().generation();
  if (gen == st.generation)
    return;
  st.generation = gen;
  std::map<std::string, change_runner> next;
  for (auto& t : reg.triggers().all()) {
    if (t.kind != fn::trigger_spec::source::change)
      continue;
    auto old = st.runners.find(t.id);
    if (old != st.runners.end()) {
      next[t.id] = std::move(old->second);
      continue;
    }
    change_runner r;
    r.scanned = t.checkpoint;
    r.spec = std::move(t);
    next[r.spec.id] = std::move(r);
  }
  st.runners = std::move(next); // a removed trigger's results are ignored
}

void invoke(triggers_actor* self, std::shared_ptr<server_context> ctx,
            change_runner& r) {
  auto& e = r.queue.front();
  r.busy = true;
  auto env = self->state.env;
  auto spec = r.spec;
  auto seq = e.sequence;
  invocation_request call{trigger_event_json(spec, e),
                          {std::to_string(seq)},
                          {"THEMIS_EVENT_SEQUENCE=" + std::to_string(seq),
                           "THEMIS_EVENT_TYPE=" + e.type,
                           "THEMIS_COLLECTION=" + spec.collection,
                           "THEMIS_KEY=" + e.key}};
  auto rid = "trigger-" + spec.id + "-" + std::to_string(seq);
  auto id = spec.id;
  auto admitted = admit_trigger(*ctx->functions, spec);
  if (admitted.result != trigger_result::done) // gone or busy: no worker
    return self->send(self, trigger_atoms::done::value, id, seq,
                      static_cast<int>(admitted.result), std::string());
  auto worker = spawn_work_runner(
    self->system(), ctx,
    [env, spec, admitted, call, rid](blocking_writer& w) mutable {
      return run_trigger(*env, spec, admitted, std::move(call), rid, w);
    });
  self->request(worker, std::chrono::seconds(120), run_atom::value)
    .then(
      [=](api_response& a) {
        self->send(self, trigger_atoms::done::value, id, seq, a.status, a.body);
      },
      [=](caf::error& err) {
        self->send(self, trigger_atoms::done::value, id, seq, 500,
                   "the worker ended: " + caf::to_string(err));
      });
}

/// Reads the log after the runner's position until a matching event is
/// queued (then runs it) or the tip is reached.
void pump(triggers_actor* self, std::shared_ptr<server_context> ctx,
          change_runner& r) {
  auto& reg = *ctx->functions;
  if (r.busy || ctx->stopping.load())
    return;
  for (int page = 0; r.queue.empty() && r.scanned < self->state.tip; ++page) {
    if (page == pages_per_pump) {
      self->send(self, trigger_atoms::pump::value, r.spec.id);
      return;
    }
    auto gone = ctx->reader->compacted_through();
    if (r.scanned < gone) {
      spdlog::warn("trigger {}: change-log retention removed sequences {} to "
                   "{} before the trigger read them",
                   r.spec.id, r.scanned + 1, gone);
      r.scanned = gone;
    }
    auto events = ctx->reader->changes_after(r.scanned, page_size);
    if (events.empty())
      break;
    for (auto& e : events) {
      r.scanned = e.sequence;
      if (r.spec.matches(e.type, e.collection, e.key))
        r.queue.push_back(std::move(e));
    }
    if (r.queue.empty())
      save(r, r.scanned, reg, true); // nothing to run up to here
  }
  if (!r.queue.empty())
    invoke(self, ctx, r);
}

void pump_all(triggers_actor* self, std::shared_ptr<server_context> ctx) {
  for (auto& [id, r] : self->state.runners)
    pump(self, ctx, r);
  update_lag(self, *ctx->functions);
}

/// queue.front() is dealt with (run, or dead-lettered): the checkpoint
/// moves past it, up to the next matching event.
void advance(triggers_actor* self, std::shared_ptr<server_context> ctx,
             change_runner& r) {
  r.queue.pop_front();
  r.attempts = 0;
  r.busy = false;
  save(r, r.queue.empty() ? r.scanned : r.queue.front().sequence - 1,
       *ctx->functions);
  pump(self, ctx, r);
  update_lag(self, *ctx->functions);
}

void dead_letter(triggers_actor* self, std::shared_ptr<server_context> ctx,
                 change_runner& r, const std::string& why) {
  auto& e = r.queue.front();
  auto batch = dead_letter_batch(
    r.spec, e.sequence, trigger_event_json(r.spec, e), why, r.attempts);
  auto id = r.spec.id;
  auto seq = e.sequence;
  auto writer = registered(self->system(), store_writer_name);
  auto again = [=] {
    self->delayed_send(self, std::chrono::seconds(1),
                       trigger_atoms::retry::value, id, seq);
  };
  if (!writer)
    return again();
  self
    ->request(writer, std::chrono::seconds(60), write_atom::value,
              std::move(batch))
    .then(
      [=](engine::write_result& w) {
        auto it = self->state.runners.find(id);
        if (!w.committed) {
          spdlog::warn("trigger {}: dead letter not stored: {}", id, w.error);
          return again();
        }
        ++ctx->functions->totals().dead_letters;
        ctx->functions->triggers().note_dead_letter(id);
        if (it != self->state.runners.end() && !it->second.queue.empty() &&
            it->second.queue.front().sequence == seq)
          advance(self, ctx, it->second);
      },
      [=](caf::error&) { again(); });
}

caf::behavior function_triggers(triggers_actor* self,
                                std::shared_ptr<server_context> ctx) {
  auto& st = self->state;
  st.env = std::make_shared<handler_env>(function_trigger_env(*ctx));
  st.tip = ctx->reader->last_sequence();
  reload(self, *ctx->functions);
  self->send(self, tick_atom::value);
  auto& cfg = ctx->config.functions;
  return follow_changefeed_hub(self,
                               [self, ctx](uint64_t tip) {
                                 self->state.tip =
                                   std::max(self->state.tip, tip);
                                 pump_all(self, ctx);
                               })
    .or_else(
      [=](publish_atom, const published_batch& b) {
        if (b->events.empty())
          return;
        self->state.tip = std::max(self->state.tip, b->events.back().sequence);
        pump_all(self, ctx);
      },
      [=](tick_atom) {
        for (auto& [id, r] : self->state.runners)
          save(r, r.spec.checkpoint, *ctx->functions);
        reload(self, *ctx->functions);
        self->state.tip =
          std::max(self->state.tip, ctx->reader->last_sequence());
        pump_all(self, ctx);
        if (!ctx->stopping.load())
          self->delayed_send(self, tick_every, tick_atom::value);
      },
      [=](trigger_atoms::pump, const std::string& id) {
        auto it = self->state.runners.find(id);
        if (it != self->state.runners.end())
          pump(self, ctx, it->second);
      },
      [=](trigger_atoms::retry, const std::string& id, uint64_t seq) {
        auto it = self->state.runners.find(id);
        if (it == self->state.runners.end() || it->second.queue.empty() ||
            it->second.queue.front().sequence != seq)
          return;
        it->second.busy = false;
        pump(self, ctx, it->second);
      },
      [=](trigger_atoms::done, const std::string& id, uint64_t seq, int status,
          const std::string& why) {
        auto it = self->state.runners.find(id);
        if (it == self->state.runners.end() || it->second.queue.empty() ||
            it->second.queue.front().sequence != seq)
          return; // deleted meanwhile
        auto& r = it->second;
        auto& totals = ctx->functions->totals();
        auto& store = ctx->functions->triggers();
        switch (static_cast<trigger_result>(status)) {
          case trigger_result::done:
            ++totals.trigger_ok;
            store.note_run(id, {}, unix_now_ms());
            return advance(self, ctx, r);
          case trigger_result::gone:
            return advance(self, ctx, r);
          case trigger_result::stopped:
            return; // shutting down: resumes here after the restart
          case trigger_result::busy:
            self->delayed_send(self, std::chrono::milliseconds(50),
                               trigger_atoms::retry::value, id, seq);
            return;
          default:
            break;
        }
        ++totals.trigger_failed;
        store.note_run(id, why.empty() ? "failed" : why, unix_now_ms());
        ++r.attempts;
        spdlog::debug("trigger {}: sequence {} failed (attempt {}): {}", id,
                      seq, r.attempts, why);
        if (r.attempts >= cfg.trigger_max_attempts)
          return dead_letter(self, ctx, r, why);
        auto delay =
          std::chrono::milliseconds(uint64_t{cfg.trigger_backoff_ms}
                                    << std::min<uint32_t>(r.attempts - 1, 16));
        self->delayed_send(
          self,
          std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(5)),
          trigger_atoms::retry::value, id, seq);
      });
}

} // namespace

handler_env function_trigger_env(server_context& c) {
  return handler_env{*c.reader,
                     c.metrics,
                     c.config,
                     *c.cursors,
                     c.limiter,
                     c.faults,
                     c.api_keys.get(),
                     c.audit.get(),
                     c.quotas.get(),
                     &c.admin,
                     c.transactions.get(),
                     c.functions.get()};
}

caf::actor spawn_function_triggers(caf::actor_system& sys,
                                   std::shared_ptr<server_context> ctx) {
  return sys.spawn(function_triggers, std::move(ctx));
}

child_spec functions_supervisor(std::shared_ptr<server_context> ctx,
                                supervisor_flags flags) {
  if (ctx->functions) { // the broker, for mqtt_publish and MQTT triggers
    fn::function_registry::mqtt_hooks h;
    h.publish = [c = ctx.get()](const std::string& tenant,
                                const std::string& function,
                                std::string_view topic,
                                std::string_view payload, uint32_t hops) {
      if (!c->mqtt)
        return false;
      mqtt::message m;
      m.topic = mqtt::to_broker_topic(mqtt::tenant_root(tenant), topic);
      m.payload = std::string(payload);
      m.props.user = {{"themis-function", function},
                      {"themis-function-hops", std::to_string(hops)}};
      c->mqtt->publish(m, "");
      return true;
    };
    h.valid_topic = [](std::string_view t) {
      return mqtt::valid_topic_name(t);
    };
    h.valid_filter = [](std::string_view f) {
      return mqtt::valid_topic_filter(f);
    };
    ctx->functions->set_mqtt(std::move(h));
  }
  child_spec changes;
  changes.name = "function_triggers";
  changes.start = [ctx](caf::actor_system& s) {
    return spawn_function_triggers(s, ctx);
  };
  child_spec mqtt;
  mqtt.name = "function_mqtt_triggers";
  mqtt.start = [ctx](caf::actor_system& s) {
    return spawn_function_mqtt_triggers(s, ctx);
  };
  std::vector<child_spec> children;
  if (ctx->functions) { // functions.enabled
    children.push_back(std::move(changes));
    children.push_back(std::move(mqtt));
  }
  return supervisor_child("functions_sup", std::move(flags),
                          std::move(children));
}

} // namespace themis
