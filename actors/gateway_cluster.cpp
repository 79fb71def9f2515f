#include "actors/gateway_cluster.hpp"

#include <caf/all.hpp>
#include <random>
#include <spdlog/spdlog.h>
#include <unordered_map>

#include "actors/gateway_pool.hpp"
#include "actors/messages.hpp"
#include "gateway/coalescer.hpp"
#include "gateway/load_balancer.hpp"
#include "gateway/outlier_detector.hpp"
#include "gateway/retry_budget.hpp"
#include "handlers/http_json.hpp"
#include "protocols/declared_length.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const themis::gateway_call>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<themis::gateway_try>)

namespace themis {

namespace {

using gw_done_atom = caf::atom_constant<caf::atom("gw_done")>;
using gw_retry_atom = caf::atom_constant<caf::atom("gw_retry")>;
using gw_probe_atom = caf::atom_constant<caf::atom("gw_probe")>;
using gw_health_atom = caf::atom_constant<caf::atom("gw_hlth")>;
using gw_publish_atom = caf::atom_constant<caf::atom("gw_pub")>;
using gw_wait_atom = caf::atom_constant<caf::atom("gw_wait")>;

uint64_t now_ms() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch())
      .count());
}

api_response gateway_error(int status, const std::string& reason) {
  auto r = error_response(status, "gateway: " + reason);
  r.headers.emplace_back(gateway_reason_header, reason);
  if (status == 503)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

struct endpoint_state {
  bool healthy = true;
  uint32_t passes = 0, fails = 0; ///< consecutive health check results
  uint32_t active = 0;
  uint64_t requests = 0, failures = 0;
  gateway::latency_window latency;
  explicit endpoint_state(uint32_t window) : latency(window) {}
};

/// A request in flight (one per leader; coalesced waiters hang on its key).
struct call_state {
  std::shared_ptr<const gateway_call> call;
  caf::response_promise promise;
  uint64_t start_ms = 0;
  uint32_t attempt = 0; ///< tries started
  int ep = -1;
  bool retry_slot = false; ///< holds a retry budget slot
};

/// A request waiting on another's identical call.
struct waiter {
  uint64_t id = 0;
  caf::response_promise promise;
};

struct cluster_state {
  gateway::cluster_config cfg;
  std::shared_ptr<gateway_pool> pool;
  std::shared_ptr<gateway::cluster_stats> stats;
  std::unique_ptr<gateway::load_balancer> lb;
  std::unique_ptr<gateway::outlier_detector> outlier;
  std::unique_ptr<gateway::retry_budget> budget;
  std::vector<endpoint_state> eps;
  gateway::coalescer<waiter> coalesce;
  uint64_t next_waiter = 1;
  std::unordered_map<uint64_t, call_state> calls;
  uint64_t next_id = 1;
  uint32_t active = 0; ///< calls in flight (the breaker's max_requests)
  bool retiring = false;
  std::mt19937_64 rng{std::random_device{}()};
  static inline const char* name = "gateway_cluster";
};

using cluster_actor = caf::stateful_actor<cluster_state>;

void publish(cluster_actor* self) {
  auto& st = self->state;
  auto now = now_ms();
  std::vector<gateway::endpoint_snapshot> snap;
  for (size_t i = 0; i < st.eps.size(); ++i) {
    auto& e = st.eps[i];
    gateway::endpoint_snapshot s;
    s.address = st.cfg.endpoints[i].address();
    s.weight = st.cfg.endpoints[i].weight;
    s.healthy = e.healthy;
    s.ejected = st.outlier->ejected(i, now);
    s.ejected_for_ms = s.ejected ? st.outlier->ejected_until(i) - now : 0;
    s.active = e.active;
    s.avg_ms = e.latency.avg_ms();
    s.p99_ms = e.latency.p99_ms();
    s.requests = e.requests;
    s.failures = e.failures;
    snap.push_back(std::move(s));
  }
  st.stats->open_connections = st.pool->open_connections();
  st.stats->active = st.active;
  std::lock_guard<std::mutex> g(st.stats->mtx);
  st.stats->endpoints = std::move(snap);
}

/// Answers a finished call and everyone coalesced on it.
void finish(cluster_actor* self, uint64_t id, const api_response& r) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto c = std::move(it->second);
  st.calls.erase(it);
  --st.active;
  if (c.retry_slot)
    st.budget->release();
  if (!c.call->coalesce_key.empty()) {
    for (auto& w : st.coalesce.finish(c.call->coalesce_key))
      if (w.promise.pending())
        w.promise.deliver(r);
  }
  if (c.promise.pending())
    c.promise.deliver(r);
  if (st.retiring && st.calls.empty()) {
    st.pool->shut();
    self->quit();
  }
}

void attempt(cluster_actor* self, uint64_t id) {
  auto& st = self->state;
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto& c = it->second;
  auto now = now_ms();
  auto spent = now - c.start_ms;
  if (spent >= c.call->fwd.timeout_ms) {
    ++st.stats->timeouts;
    finish(self, id, gateway_error(504, "upstream timeout"));
    return;
  }
  std::vector<gateway::endpoint_load> view(st.eps.size());
  for (size_t i = 0; i < st.eps.size(); ++i) {
    view[i].available = st.eps[i].healthy && !st.outlier->ejected(i, now);
    // a retry goes elsewhere when it can
    if (c.attempt > 0 && static_cast<int>(i) == c.ep && st.eps.size() > 1)
      view[i].available = false;
    view[i].active = st.eps[i].active;
    view[i].latency = &st.eps[i].latency;
  }
  auto ep = st.lb->pick(view, c.call->affinity);
  if (ep < 0 && c.attempt > 0 && c.ep >= 0 && st.eps[c.ep].healthy &&
      !st.outlier->ejected(c.ep, now))
    ep = c.ep; // the only one left: the same endpoint again
  if (ep < 0) {
    finish(self, id, gateway_error(503, "no healthy upstream endpoint"));
    return;
  }
  c.ep = ep;
  ++c.attempt;
  ++st.eps[ep].active;
  ++st.eps[ep].requests;
  ++st.stats->requests;
  auto left = static_cast<uint32_t>(c.call->fwd.timeout_ms - spent);
  auto per_try = std::min(c.call->fwd.per_try_timeout_ms, left);
  auto me = caf::actor_cast<caf::actor>(self);
  auto report = [me, id, ep](gateway_try t) {
    caf::anon_send(me, gw_done_atom::value, id, static_cast<int32_t>(ep),
                   std::make_shared<gateway_try>(std::move(t)));
  };
  if (c.call->tunnel) { // WebSocket: a connection of its own
    st.pool->open_tunnel(static_cast<size_t>(ep), c.call->wire, per_try,
                         std::move(report), c.call->body, c.call->tunnel);
    return;
  }
  st.pool->send(static_cast<size_t>(ep), c.call->wire, c.call->head, per_try,
                std::move(report),
                c.call->coalesce_key.empty() ? c.call->body : nullptr);
}

void on_done(cluster_actor* self, uint64_t id, int32_t ep,
             std::shared_ptr<gateway_try> t) {
  auto& st = self->state;
  auto now = now_ms();
  if (ep >= 0 && static_cast<size_t>(ep) < st.eps.size()) {
    auto& e = st.eps[ep];
    if (e.active)
      --e.active;
    bool failure = !t->ok || t->resp.status >= 500;
    if (failure)
      ++e.failures, ++st.stats->failures;
    if (t->ok) {
      e.latency.add(t->ms);
      st.stats->latency.observe(t->ms / 1000.0);
    }
    if (failure) {
      if (!t->overflow) // a full pool is not the endpoint's fault
        if (st.outlier->record(ep, true, now)) {
          ++st.stats->ejections;
          spdlog::warn("gateway: cluster {}: endpoint {} ejected for {} ms "
                       "(consecutive failures)",
                       st.cfg.name, st.cfg.endpoints[ep].address(),
                       st.outlier->ejected_until(ep) - now);
        }
    } else {
      st.outlier->record(ep, false, now);
    }
  }
  auto it = st.calls.find(id);
  if (it == st.calls.end())
    return;
  auto& c = it->second;
  if (!t->ok && t->fail_status == 504)
    ++st.stats->timeouts;
  if (t->overflow)
    ++st.stats->overflows;
  bool retryable_status = t->ok
                            ? (c.call->fwd.retry_on_5xx &&
                               (t->resp.status == 502 ||
                                t->resp.status == 503 || t->resp.status == 504))
                            : (t->fail_status != 503 || t->connect_failed);
  bool can_retry = retryable_status && c.call->idempotent &&
                   c.attempt <= c.call->fwd.retries &&
                   now - c.start_ms < c.call->fwd.timeout_ms;
  if (can_retry) {
    if (!c.retry_slot && !st.budget->try_acquire(st.active)) {
      ++st.stats->retries_refused;
      can_retry = false;
    } else {
      c.retry_slot = true;
    }
  }
  if (can_retry) {
    ++st.stats->retries;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto wait =
      gateway::retry_budget::backoff_ms(c.attempt, c.call->fwd.retry_base_ms,
                                        c.call->fwd.retry_max_ms, u(st.rng));
    self->delayed_send(self, std::chrono::milliseconds(wait),
                       gw_retry_atom::value, id);
    return;
  }
  if (!t->ok) {
    finish(self, id, gateway_error(t->fail_status, t->reason));
    return;
  }
  api_response r;
  r.status = t->resp.status;
  r.headers = std::move(t->resp.headers);
  r.body = std::move(t->resp.body);
  if (t->streamed && r.status != 101) {
    r.stream = true; // the body follows through the call's pipe
    if (t->content_length >= 0)
      r.headers.emplace_back(std::string(declared_length_header),
                             std::to_string(t->content_length));
  } else if (c.call->head) {
    // HEAD: the length a GET would get, as the upstream said it
    if (auto* cl = find_header(r.headers, "Content-Length"))
      r.headers.emplace_back(std::string(declared_length_header), *cl);
  }
  finish(self, id, r);
}

/// Starts the upstream call of a request that leads (or does not share).
void start_call(cluster_actor* self, std::shared_ptr<const gateway_call> call,
                caf::response_promise promise) {
  auto& st = self->state;
  auto id = st.next_id++;
  auto& c = st.calls[id];
  c.call = std::move(call);
  c.promise = std::move(promise);
  c.start_ms = now_ms();
  ++st.active;
  attempt(self, id);
}

void on_probe(cluster_actor* self, int32_t ep, bool ok) {
  auto& st = self->state;
  if (ep < 0 || static_cast<size_t>(ep) >= st.eps.size())
    return;
  auto& e = st.eps[ep];
  auto& h = st.cfg.health;
  if (ok) {
    e.fails = 0;
    if (!e.healthy && ++e.passes >= h.healthy_threshold) {
      e.healthy = true;
      spdlog::info("gateway: cluster {}: endpoint {} healthy again",
                   st.cfg.name, st.cfg.endpoints[ep].address());
    }
  } else {
    e.passes = 0;
    if (e.healthy && ++e.fails >= h.unhealthy_threshold) {
      e.healthy = false;
      spdlog::warn("gateway: cluster {}: endpoint {} failed its health check",
                   st.cfg.name, st.cfg.endpoints[ep].address());
    }
  }
}

caf::behavior gateway_cluster(cluster_actor* self,
                              std::shared_ptr<gateway_pool> pool,
                              gateway::cluster_config cfg,
                              std::shared_ptr<gateway::cluster_stats> stats) {
  auto& st = self->state;
  st.cfg = cfg;
  st.pool = std::move(pool);
  st.stats = std::move(stats);
  st.lb = std::make_unique<gateway::load_balancer>(cfg, st.rng());
  st.outlier = std::make_unique<gateway::outlier_detector>(
    cfg.outlier, cfg.endpoints.size());
  st.budget = std::make_unique<gateway::retry_budget>(cfg.retry_budget,
                                                      cfg.breaker.max_retries);
  for (size_t i = 0; i < cfg.endpoints.size(); ++i)
    st.eps.emplace_back(cfg.smart.window);
  st.stats->lb = gateway::to_string(cfg.lb);
  self->set_exit_handler([self](caf::exit_msg& m) {
    auto& st = self->state;
    st.pool->shut();
    auto bye = gateway_error(503, "server shutting down");
    for (auto& [id, c] : st.calls) {
      if (c.promise.pending())
        c.promise.deliver(bye);
      if (!c.call->coalesce_key.empty()) // (the leader's promise is here)
        for (auto& w : st.coalesce.finish(c.call->coalesce_key))
          if (w.promise.pending())
            w.promise.deliver(bye);
    }
    self->quit(m.reason);
  });
  if (!cfg.health.path.empty())
    self->send(self, gw_health_atom::value);
  self->send(self, gw_publish_atom::value);
  return {
    [=](gw_fwd_atom, std::shared_ptr<const gateway_call> call) {
      auto& st = self->state;
      auto promise = self->make_response_promise();
      if (st.retiring) { // (a request that raced the reload)
        promise.deliver(gateway_error(503, "upstream cluster reloaded"));
        return promise;
      }
      if (st.active >= st.cfg.breaker.max_requests) {
        ++st.stats->overflows;
        st.stats->breaker_open = 1;
        promise.deliver(
          gateway_error(503, "circuit breaker: max requests in flight"));
        return promise;
      }
      st.stats->breaker_open = 0;
      if (!call->coalesce_key.empty()) {
        using o = gateway::coalescer<waiter>::outcome;
        auto wid = st.next_waiter++;
        auto out = st.coalesce.join(call->coalesce_key, waiter{wid, promise},
                                    call->max_waiters);
        if (out == o::joined) {
          ++st.stats->coalesced;
          if (call->fwd.coalesce_wait_ms)
            self->delayed_send(
              self, std::chrono::milliseconds(call->fwd.coalesce_wait_ms),
              gw_wait_atom::value, wid, call);
          return promise; // the leader's answer comes to us too
        }
        if (out == o::refused) { // its own call, not shared
          auto copy = std::make_shared<gateway_call>(*call);
          copy->coalesce_key.clear();
          call = std::move(copy);
        } else {
          promise = caf::response_promise(); // the leader's is in the table
        }
      }
      start_call(self, std::move(call), promise);
      return promise;
    },
    [=](gw_wait_atom, uint64_t wid, std::shared_ptr<const gateway_call> call) {
      // waited coalesce_wait_ms for the leader: call on its own instead
      auto& st = self->state;
      waiter w;
      if (!st.coalesce.take(
            call->coalesce_key, [wid](const waiter& x) { return x.id == wid; },
            w))
        return; // answered meanwhile
      auto own = std::make_shared<gateway_call>(*call);
      own->coalesce_key.clear();
      if (st.retiring || st.active >= st.cfg.breaker.max_requests) {
        w.promise.deliver(
          gateway_error(503, "circuit breaker: max requests in flight"));
        return;
      }
      start_call(self, std::move(own), std::move(w.promise));
    },
    [=](gw_done_atom, uint64_t id, int32_t ep, std::shared_ptr<gateway_try> t) {
      on_done(self, id, ep, std::move(t));
    },
    [=](gw_retry_atom, uint64_t id) { attempt(self, id); },
    [=](gw_health_atom) {
      auto& st = self->state;
      if (st.retiring)
        return;
      auto me = caf::actor_cast<caf::actor>(self);
      for (size_t i = 0; i < st.eps.size(); ++i)
        st.pool->probe(i, st.cfg.health.path, st.cfg.health.timeout_ms,
                       [me, i](bool ok) {
                         caf::anon_send(me, gw_probe_atom::value,
                                        static_cast<int32_t>(i), ok);
                       });
      self->delayed_send(self,
                         std::chrono::milliseconds(st.cfg.health.interval_ms),
                         gw_health_atom::value);
    },
    [=](gw_probe_atom, int32_t ep, bool ok) { on_probe(self, ep, ok); },
    [=](gw_publish_atom) {
      publish(self);
      if (!self->state.retiring)
        self->delayed_send(self, std::chrono::milliseconds(250),
                           gw_publish_atom::value);
    },
    [=](gw_retire_atom) {
      // replaced by a reload: answer what is in flight, then go
      auto& st = self->state;
      st.retiring = true;
      if (st.calls.empty()) {
        st.pool->shut();
        self->quit();
      }
    },
  };
}

} // namespace

caf::actor spawn_gateway_cluster(caf::actor_system& sys,
                                 boost::asio::io_context& io,
                                 const gateway::cluster_config& cfg,
                                 std::shared_ptr<gateway::cluster_stats> st) {
  auto pool = std::make_shared<gateway_pool>(io, cfg);
  return sys.spawn(gateway_cluster, std::move(pool), cfg, std::move(st));
}

} // namespace themis
