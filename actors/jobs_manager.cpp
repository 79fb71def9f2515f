#include "actors/jobs_manager.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <thread>

#include "actors/blocking_work.hpp"
#include "actors/cluster_node.hpp"
#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "handlers/http_json.hpp"
#include "handlers/job_service.hpp"

namespace themis {

namespace {

struct waiter {
  job_service::deferred what;
  caf::typed_response_promise<api_response> promise;
};

struct jobs_manager_state {
  std::unique_ptr<job_service> service;
  std::map<uint64_t, waiter> waiters;
  uint64_t next_waiter = 1;
  std::map<caf::actor_addr, std::string> runners;

  ~jobs_manager_state() {
    // CAF 0.17 does not answer a dropped promise: held long-polls and
    // cancels would wait for their request timeout
    for (auto& [id, w] : waiters) {
      auto r = error_response(503, "the job manager restarted; retry");
      r.set_header("Retry-After", "1");
      w.promise.deliver(std::move(r));
    }
    try {
      if (service)
        service->shutdown();
    } catch (const std::exception& e) {
      spdlog::error("jobs: recording interrupted jobs failed: {}", e.what());
    }
  }
};

using manager_actor = caf::stateful_actor<jobs_manager_state>;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Answers every held request whose job changed state.
void wake_waiters(manager_actor* self) {
  auto& st = self->state;
  for (auto it = st.waiters.begin(); it != st.waiters.end();) {
    if (st.service->ready(it->second.what)) {
      it->second.promise.deliver(st.service->answer(it->second.what));
      it = st.waiters.erase(it);
    } else {
      ++it;
    }
  }
}

caf::behavior jobs_manager(manager_actor* self,
                           std::shared_ptr<server_context> ctx) {
  auto launch = [self, ctx](job_run run) {
    auto id = run.id;
    auto a = spawn_job_runner(self->system(), ctx, std::move(run),
                              caf::actor_cast<caf::actor>(self));
    self->monitor(a);
    self->state.runners[a.address()] = id;
  };
  self->state.service =
    std::make_unique<job_service>(ctx->config, launch, wall_ms);
  self->state.service->set_metrics(&ctx->metrics);
  self->state.service->set_quotas(ctx->quotas.get());
  self->state.service->recover(); // throws: the supervisor sees the crash
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.runners.find(dm.source);
    if (it == st.runners.end())
      return;
    auto id = it->second;
    st.runners.erase(it);
    // A runner that reported first is already finished; this only catches
    // one that died without a report.
    st.service->runner_lost(id, caf::to_string(dm.reason));
    wake_waiters(self);
  });
  self->send(self, sweep_atom::value);
  return {
    [=](ask_atom, api_request& req) -> caf::result<api_response> {
      auto& st = self->state;
      auto& fault = ctx->faults.at(fault_target::jobs_manager);
      if (auto ms = fault.stall_ms.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      if (fault_table::roll(fault.crash_ppm.load())) {
        ++ctx->faults.injected;
        throw injected_crash("injected crash in the jobs manager");
      }
      job_service::deferred later;
      std::optional<api_response> now;
      try {
        now = st.service->handle(req, later);
      } catch (const std::exception& e) {
        // jobs.db busy or full: this request fails, the manager and the
        // running jobs carry on
        spdlog::error("jobs: {} {}: {}", req.method, req.path, e.what());
        auto r =
          error_response(503, std::string("job store error: ") + e.what());
        r.set_header("Retry-After", "1");
        return r;
      }
      if (now) {
        wake_waiters(self);
        return std::move(*now);
      }
      auto promise = self->make_response_promise<api_response>();
      auto id = st.next_waiter++;
      st.waiters.emplace(id, waiter{later, promise});
      self->delayed_send(self, std::chrono::milliseconds(later.timeout_ms),
                         wait_timeout_atom::value, id);
      return promise;
    },
    [=](job_done_atom, job_outcome& out) {
      try {
        self->state.service->finished(out);
      } catch (const std::exception& e) {
        spdlog::error("jobs: recording the end of {} failed: {}", out.id,
                      e.what());
      }
      wake_waiters(self);
    },
    [=](wait_timeout_atom, uint64_t id) {
      auto& st = self->state;
      auto it = st.waiters.find(id);
      if (it == st.waiters.end())
        return;
      it->second.promise.deliver(st.service->answer(it->second.what));
      st.waiters.erase(it);
    },
    [=](sweep_atom) {
      try {
        if (cluster_duty_allowed(*ctx, "jobs_sweep")) // issue 25
          self->state.service->sweep();
      } catch (const std::exception& e) {
        spdlog::error("jobs: expiry sweep failed: {}", e.what());
      }
      self->delayed_send(
        self, std::chrono::milliseconds(ctx->config.jobs.sweep_interval_ms),
        sweep_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_jobs_manager(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx) {
  return sys.spawn<caf::detached>(jobs_manager, std::move(ctx));
}

} // namespace themis
