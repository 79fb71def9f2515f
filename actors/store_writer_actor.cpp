#include "actors/store_writer_actor.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"

namespace themis {

namespace {

struct pending_write {
  engine::write_batch batch;
  caf::typed_response_promise<engine::write_result> promise;
};

struct store_writer_state {
  std::vector<pending_write> pending;
  bool flush_scheduled = false;

  /// A crashed writer answers what it had taken: nothing of it committed.
  ~store_writer_state() {
    for (auto& p : pending) {
      engine::write_result r;
      r.error = "the store writer stopped before committing this write";
      p.promise.deliver(std::move(r));
    }
  }
};

using writer_actor = caf::stateful_actor<store_writer_state>;

void flush(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty())
    return;
  // Take as many queued requests as fit in one group.
  size_t ops = 0, n = 0;
  while (n < st.pending.size() &&
         (n == 0 || ops + st.pending[n].batch.ops.size() <=
                      ctx.config.engine.max_group_ops)) {
    ops += st.pending[n].batch.ops.size();
    ++n;
  }
  std::vector<const engine::write_batch*> group;
  group.reserve(n);
  auto now = steady_ns();
  for (size_t i = 0; i < n; ++i) {
    group.push_back(&st.pending[i].batch);
    if (auto q = st.pending[i].batch.enqueued_ns)
      ctx.writer_admission.observe_sojourn(now - q, now);
  }
  ctx.writer_admission.busy(now, static_cast<int64_t>(n));
  struct idle_again {
    limits::admission& a;
    ~idle_again() { a.busy(0); }
  } idle{ctx.writer_admission};
  auto& fault = ctx.faults.at(fault_target::store_writer);
  if (auto ms = fault.stall_ms.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (fault_table::roll(fault.crash_ppm.load())) {
    ++ctx.faults.injected;
    throw injected_crash("injected crash in the store writer");
  }
  if (fault_table::roll(fault.error_ppm.load())) {
    // as if the engine failed the commit (disk full, I/O error)
    ++ctx.faults.injected;
    for (size_t i = 0; i < n; ++i) {
      engine::write_result r;
      r.error = "injected engine failure";
      st.pending[i].promise.deliver(std::move(r));
    }
    st.pending.erase(st.pending.begin(), st.pending.begin() + n);
    if (!st.pending.empty()) {
      st.flush_scheduled = true;
      self->send(self, flush_atom::value);
    }
    return;
  }
  auto results = ctx.store->commit_group(group);
  ctx.metrics.engine_commits = ctx.store->commit_count();
  ctx.metrics.engine_ops += ops;
  ctx.metrics.engine_last_sequence = ctx.store->last_sequence();
  // Publish before acknowledging: the hub sees events in commit order.
  auto events = ctx.store->take_committed();
  if (!events.empty())
    if (auto hub = registered(self->system(), changefeed_hub_name))
      self->send(hub, publish_atom::value,
                 std::make_shared<const std::vector<engine::change_event>>(
                   std::move(events)));
  for (size_t i = 0; i < n; ++i)
    st.pending[i].promise.deliver(std::move(results[i]));
  st.pending.erase(st.pending.begin(), st.pending.begin() + n);
  if (!st.pending.empty()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  ctx.metrics.writer_mailbox = static_cast<int64_t>(self->mailbox().size());
}

void compact(writer_actor* self, server_context& ctx) {
  auto& cf = ctx.config.changefeed;
  try {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    auto removed = ctx.store->compact(
      cf.retention_max_events,
      static_cast<int64_t>(cf.retention_max_age_s) * 1000, now);
    if (removed > 0)
      spdlog::info("change log: compacted {} events", removed);
  } catch (const std::exception& e) {
    spdlog::error("change log compaction failed: {}", e.what());
  }
  self->delayed_send(self, std::chrono::milliseconds(cf.compaction_interval_ms),
                     compact_atom::value);
}

caf::behavior store_writer(writer_actor* self,
                           std::shared_ptr<server_context> ctx) {
  auto& cf = ctx->config.changefeed;
  if (cf.retention_max_events > 0 || cf.retention_max_age_s > 0)
    self->send(self, compact_atom::value);
  return {
    [=](compact_atom) { compact(self, *ctx); },
    [=](write_atom,
        engine::write_batch& batch) -> caf::result<engine::write_result> {
      auto& st = self->state;
      auto rp = self->make_response_promise<engine::write_result>();
      st.pending.push_back({std::move(batch), rp});
      if (!st.flush_scheduled) {
        // The flush message queues behind every request already waiting,
        // so they all join this group.
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
      ctx->metrics.writer_mailbox =
        static_cast<int64_t>(self->mailbox().size());
      return rp;
    },
    [=](flush_atom) { flush(self, *ctx); },
  };
}

} // namespace

caf::actor spawn_store_writer(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx) {
  // Detached: a commit blocks on fsync, which must not stall a scheduler
  // thread that connection actors need (CAF-0.17-NOTES.md).
  return sys.spawn<caf::detached>(store_writer, std::move(ctx));
}

} // namespace themis
