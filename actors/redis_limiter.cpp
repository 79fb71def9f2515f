#include "actors/redis_limiter.hpp"

#include <atomic>
#include <caf/all.hpp>
#include <mutex>
#include <spdlog/spdlog.h>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "cluster/redis_link.hpp"
#include "handlers/http_json.hpp"
#include "handlers/metrics_registry.hpp"
#include "handlers/prometheus_text.hpp"
#include "limits/limit_wire.hpp"

namespace themis {

namespace {

/// The current link, for /metrics (the actor may be restarted).
struct current_link {
  std::mutex mtx;
  std::shared_ptr<cluster::redis_link> link;
};

current_link& current() {
  static current_link c;
  return c;
}

std::atomic<uint32_t>& live_nodes() {
  static std::atomic<uint32_t> n{0};
  return n;
}

cluster::redis_link::config link_config(const rate_limiting_section& rl) {
  cluster::redis_link::config c;
  for (auto& text : rl.redis_urls) {
    cluster::redis_url u;
    if (!cluster::parse_redis_url(text, u)) // validated at load
      c.urls.push_back(std::move(u));
  }
  c.key_prefix = rl.redis_key_prefix;
  c.timeout_ns = int64_t{rl.redis_timeout_ms} * 1'000'000;
  c.max_pending = rl.redis_max_pending;
  c.nodes_hint = rl.redis_nodes_hint;
  c.max_local_keys = std::min<uint64_t>(rl.max_keys, 1'000'000);
  return c;
}

struct limiter_state {
  std::shared_ptr<cluster::redis_link> link;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, caf::typed_response_promise<api_response>>
    waiting;
};

caf::behavior redis_limiter(caf::stateful_actor<limiter_state>* self,
                            std::shared_ptr<server_context> ctx) {
  auto link = std::make_shared<cluster::redis_link>(
    link_config(ctx->config.rate_limiting));
  self->state.link = link;
  link->set_live_nodes(live_nodes().load());
  link->start();
  {
    auto& c = current();
    std::lock_guard<std::mutex> g(c.mtx);
    c.link = link;
  }
  // the link's thread ends with the actor (restart or shutdown)
  self->attach_functor([link] {
    { // connections find no link (and use the local limiter) until the
      // next incarnation installs its own
      auto& c = current();
      std::lock_guard<std::mutex> g(c.mtx);
      if (c.link == link)
        c.link.reset();
    }
    link->stop();
  });
  return {
    [=](ask_atom, api_request& req) -> caf::result<api_response> {
      auto items = limits::decode_query(req.body);
      if (!items)
        return error_response(400, "malformed limit query");
      auto id = self->state.next_id++;
      auto promise = self->make_response_promise<api_response>();
      self->state.waiting.emplace(id, promise);
      auto me = caf::actor_cast<caf::actor>(self);
      self->state.link->submit(std::move(*items),
                               [me, id](std::vector<limits::limit_answer> a) {
                                 caf::anon_send(me, limit_done_atom::value, id,
                                                limits::encode_answers(a));
                               });
      return promise;
    },
    [=](limit_done_atom, uint64_t id, std::string& body) {
      auto it = self->state.waiting.find(id);
      if (it == self->state.waiting.end())
        return;
      api_response r;
      r.body = std::move(body);
      it->second.deliver(std::move(r));
      self->state.waiting.erase(it);
    },
  };
}

} // namespace

bool ask_redis_limit(const std::string& query, const caf::actor& reply_to,
                     uint64_t id) {
  std::shared_ptr<cluster::redis_link> l;
  {
    auto& c = current();
    std::lock_guard<std::mutex> g(c.mtx);
    l = c.link;
  }
  auto items = limits::decode_query(query);
  if (!l || !items)
    return false;
  l->submit(std::move(*items),
            [reply_to, id](std::vector<limits::limit_answer> a) {
              caf::anon_send(reply_to, limit_done_atom::value, id,
                             limits::encode_answers(a));
            });
  return true;
}

void set_redis_limiter_live_nodes(uint32_t n) {
  live_nodes() = n;
  auto& c = current();
  std::lock_guard<std::mutex> g(c.mtx);
  if (c.link)
    c.link->set_live_nodes(n);
}

int redis_limiter_state() {
  auto& c = current();
  std::lock_guard<std::mutex> g(c.mtx);
  return c.link ? static_cast<int>(c.link->state()) : -1;
}

caf::actor spawn_redis_limiter(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn(redis_limiter, std::move(ctx));
}

void add_redis_limiter_collector(metrics_registry& m) {
  m.add_collector(
    [](prometheus_text& out) {
      std::shared_ptr<cluster::redis_link> l;
      {
        auto& c = current();
        std::lock_guard<std::mutex> g(c.mtx);
        l = c.link;
      }
      if (!l)
        return;
      out.family("themis_redis_limiter_state", "gauge",
                 "Redis rate-limit link: 0 down (local fallback), "
                 "1 connecting, 2 up");
      out.sample("themis_redis_limiter_state",
                 static_cast<int64_t>(l->state()));
      auto counter = [&](const char* name, const char* help, uint64_t v) {
        out.family(name, "counter", help);
        out.sample(name, v);
      };
      counter("themis_redis_limiter_redis_decisions_total",
              "Bucket decisions made by Redis.", l->redis_decisions.load());
      counter("themis_redis_limiter_fallback_decisions_total",
              "Bucket decisions made by the local fallback (Redis down or "
              "slow).",
              l->local_decisions.load());
      counter("themis_redis_limiter_timeouts_total",
              "Limit questions Redis did not answer within the timeout.",
              l->timeouts.load());
      counter("themis_redis_limiter_episodes_total",
              "Times the node lost Redis and fell back to local buckets.",
              l->episodes.load());
      counter("themis_redis_limiter_errors_total",
              "Error or malformed answers to a bucket script.",
              l->errors.load());
      counter("themis_redis_limiter_connects_total",
              "Connection attempts to Redis.", l->connects.load());
    },
    &current());
}

} // namespace themis
