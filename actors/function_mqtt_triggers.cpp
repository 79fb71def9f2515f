/// MQTT triggers (see function_triggers.hpp): an internal broker client
/// that subscribes to each trigger's filter in its tenant's tree, queues
/// matching PUBLISHes (bounded: more are dropped and counted) and runs
/// each in a detached worker, a few at a time. The client connects only
/// while an MQTT trigger exists.

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <set>

#include "actors/blocking_work.hpp"
#include "actors/function_triggers.hpp"
#include "actors/messages.hpp"
#include "actors/mqtt_broker.hpp"
#include "actors/server_context.hpp"
#include "functions/function_registry.hpp"
#include "handlers/function_trigger_run.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace fn = functions;

namespace trigger_atoms {
using mqtt_done = caf::atom_constant<caf::atom("f_mqdone")>;
using mqtt_drain = caf::atom_constant<caf::atom("f_mqdrain")>;
} // namespace trigger_atoms

namespace {

/// The broker's client id: a `$` id no MQTT client can take.
const std::string client_id = "$themis/function-triggers";
/// Invocations running at once (each on a worker thread).
constexpr size_t max_running = 4;
/// Bytes of deliveries in the mailbox before the broker drops ours.
constexpr size_t inbox_limit = 4u << 20;
constexpr auto tick_every = std::chrono::milliseconds(250);

struct pending {
  fn::trigger_spec spec;
  std::shared_ptr<const mqtt::message> msg;
  uint32_t hops = 0;
};

/// Functions a message went through (mqtt_publish marks what it sends).
uint32_t hops_of(const mqtt::message& m) {
  for (auto& [k, v] : m.props.user)
    if (k == "themis-function-hops")
      return static_cast<uint32_t>(
        std::min<unsigned long>(std::strtoul(v.c_str(), nullptr, 10), 1000));
  return 0;
}

struct mqtt_triggers_state {
  std::shared_ptr<handler_env> env;
  uint64_t generation = 0;
  std::vector<fn::trigger_spec> triggers;
  std::set<std::string> filters; ///< broker filters subscribed
  bool connected = false;
  mqtt_inbox inbox = std::make_shared<std::atomic<size_t>>(0);
  std::deque<pending> queue;
  size_t running = 0;
  bool drain_pending = false; ///< a retry of a busy function is due
};

using mqtt_triggers_actor = caf::stateful_actor<mqtt_triggers_state>;

std::string broker_filter(const fn::trigger_spec& t) {
  return mqtt::to_broker_topic(mqtt::tenant_root(t.tenant), t.topic);
}

/// Subscribes to new triggers' filters and drops removed ones.
void reload(mqtt_triggers_actor* self, server_context& ctx) {
  auto& st = self->state;
  auto& reg = *ctx.functions;
  auto gen = reg.triggers().generation();
  if (gen == st.generation || !ctx.mqtt)
    return;
  st.generation = gen;
  st.triggers.clear();
  std::set<std::string> want;
  for (auto& t : reg.triggers().all())
    if (t.kind == fn::trigger_spec::source::mqtt) {
      want.insert(broker_filter(t));
      st.triggers.push_back(std::move(t));
    }
  auto& broker = *ctx.mqtt;
  if (want.empty()) {
    if (st.connected)
      broker.forget(client_id, self->address());
    st.connected = false;
    st.filters.clear();
    return;
  }
  if (!st.connected) {
    broker.connect(client_id, caf::actor_cast<caf::actor>(self), true, 0,
                   nullptr, 0, st.inbox, inbox_limit);
    st.connected = true;
    st.filters.clear();
  }
  mqtt::unsubscribe_packet gone;
  for (auto& f : st.filters)
    if (!want.count(f))
      gone.filters.push_back(f);
  if (!gone.filters.empty())
    broker.unsubscribe(client_id, gone);
  mqtt::subscribe_packet add;
  for (auto& f : want)
    if (!st.filters.count(f)) {
      mqtt::subscription s;
      s.filter = f;
      s.retain_handling = 2; // new messages only
      add.topics.push_back(s);
    }
  if (!add.topics.empty()) {
    std::vector<mqtt_delivery> retained;
    broker.subscribe(client_id, add, 5, retained);
  }
  st.filters = std::move(want);
}

void drain(mqtt_triggers_actor* self, std::shared_ptr<server_context> ctx) {
  auto& st = self->state;
  auto& totals = ctx->functions->totals();
  while (st.running < max_running && !st.queue.empty() &&
         !ctx->stopping.load()) {
    auto admitted = admit_trigger(*ctx->functions, st.queue.front().spec);
    if (admitted.result == trigger_result::busy) {
      // the function's (or tenant's) slots are taken: try again soon; the
      // queue's bound still applies meanwhile
      if (!st.drain_pending)
        self->delayed_send(self, std::chrono::milliseconds(50),
                           trigger_atoms::mqtt_drain::value);
      st.drain_pending = true;
      break;
    }
    auto p = std::move(st.queue.front());
    st.queue.pop_front();
    if (admitted.result == trigger_result::gone)
      continue;
    ++st.running;
    auto root = mqtt::tenant_root(p.spec.tenant);
    auto topic = p.msg->topic.substr(root.size());
    auto env = st.env;
    auto rid = "trigger-" + p.spec.id + "-mqtt";
    auto worker = spawn_work_runner(
      self->system(), ctx, [env, p, admitted, topic, rid](blocking_writer& w) {
        return run_trigger(
          *env, p.spec, admitted,
          {p.msg->payload, {topic}, {"THEMIS_TOPIC=" + topic}, p.hops}, rid, w);
      });
    self->request(worker, std::chrono::seconds(120), run_atom::value)
      .then(
        [=, id = p.spec.id](api_response& a) {
          self->send(self, trigger_atoms::mqtt_done::value, id, a.status,
                     a.body);
        },
        [=, id = p.spec.id](caf::error& e) {
          self->send(self, trigger_atoms::mqtt_done::value, id, 500,
                     caf::to_string(e));
        });
  }
  totals.mqtt_queued = st.queue.size();
}

caf::behavior function_mqtt_triggers(mqtt_triggers_actor* self,
                                     std::shared_ptr<server_context> ctx) {
  self->state.env = std::make_shared<handler_env>(function_trigger_env(*ctx));
  // a restarted actor's broker session goes with the old one
  self->attach_functor([c = ctx.get(), addr = self->address()] {
    if (c->mqtt)
      c->mqtt->forget(client_id, addr);
  });
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      reload(self, *ctx);
      if (!ctx->stopping.load())
        self->delayed_send(self, tick_every, tick_atom::value);
    },
    [=](mqtt_deliver_atom, mqtt_delivery& d) {
      auto& st = self->state;
      st.inbox->fetch_sub(d.counted, std::memory_order_relaxed);
      if (d.retained || !d.msg)
        return;
      auto& totals = ctx->functions->totals();
      auto hops = hops_of(*d.msg);
      for (auto& t : st.triggers) {
        if (!mqtt::topic_matches(broker_filter(t), d.msg->topic))
          continue;
        // a full queue drops (the broker is never held up), and so does
        // a chain of functions republishing to each other
        if (st.queue.size() >= ctx->config.functions.trigger_queue ||
            hops >= fn::function_registry::max_hops) {
          ++totals.mqtt_dropped;
          ctx->functions->triggers().note_dropped(t.id);
          continue;
        }
        st.queue.push_back({t, d.msg, hops});
      }
      drain(self, ctx);
    },
    [=](trigger_atoms::mqtt_drain) {
      self->state.drain_pending = false;
      drain(self, ctx);
    },
    [=](mqtt_takeover_atom) {
      // not expected (our id is ours alone); the next reload reconnects
      self->state.connected = false;
      self->state.generation = 0;
    },
    [=](trigger_atoms::mqtt_done, const std::string& id, int status,
        const std::string& why) {
      auto& totals = ctx->functions->totals();
      --self->state.running;
      if (status == static_cast<int>(trigger_result::done)) {
        ++totals.mqtt_ok;
        ctx->functions->triggers().note_run(id, {}, unix_now_ms());
      } else if (status != static_cast<int>(trigger_result::gone)) {
        ++totals.mqtt_failed;
        ctx->functions->triggers().note_run(id, why.empty() ? "failed" : why,
                                            unix_now_ms());
        spdlog::debug("mqtt trigger {}: {} {}", id, status, why);
      }
      drain(self, ctx);
    },
  };
}

} // namespace

caf::actor spawn_function_mqtt_triggers(caf::actor_system& sys,
                                        std::shared_ptr<server_context> ctx) {
  return sys.spawn(function_mqtt_triggers, std::move(ctx));
}

} // namespace themis
