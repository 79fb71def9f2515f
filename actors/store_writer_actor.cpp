#include "actors/store_writer_actor.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "actors/store_writer_tx.hpp"
#include "engine/sql/sql_executor.hpp"

namespace themis {

namespace {

struct pending_write {
  engine::write_batch batch;
  caf::typed_response_promise<engine::write_result> promise;
};

struct deferred_tx {
  sql_tx_request req;
  caf::typed_response_promise<sql_tx_reply> promise;
};

struct store_writer_state {
  std::vector<pending_write> pending;
  bool flush_scheduled = false;
  /// While a SQL session holds the store's transaction (ctx.hold.pinned),
  /// other sessions' transaction requests wait in `waiting`, batches in
  /// `pending`, until it ends.
  std::deque<deferred_tx> waiting;
  bool pin_tick = false;   ///< an idle-in-transaction check is scheduled
  bool sweep_tick = false; ///< a sweep_stopped is scheduled (issue 36)

  /// A crashed writer answers what it had taken: nothing of it committed.
  ~store_writer_state() {
    for (auto& w : waiting) {
      sql_tx_reply r;
      r.sqlstate = "57P03";
      r.message = "the store writer stopped; the statement did not run";
      w.promise.deliver(std::move(r));
    }
    for (auto& p : pending) {
      engine::write_result r;
      r.error = "the store writer stopped before committing this write";
      p.promise.deliver(std::move(r));
    }
  }
};

using writer_actor = caf::stateful_actor<store_writer_state>;
using hold_lock = std::lock_guard<std::mutex>;

/// A group commit is done: a session waiting at the front of ctx.hold's
/// queue for the queued writes to go first may take the store now.
void flushed(writer_actor* self, server_context& ctx) {
  ctx.hold.writer_pending = static_cast<int64_t>(self->state.pending.size());
  ++ctx.hold.flushes;
  ctx.hold.wake_front();
}

/// Commits what is queued; the caller holds ctx.hold.m.
void flush(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty() || ctx.hold.pinned)
    return; // a SQL transaction holds the store: flushed when it ends
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
    flushed(self, ctx);
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
  flushed(self, ctx);
  if (!st.pending.empty()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  ctx.metrics.writer_mailbox = static_cast<int64_t>(self->mailbox().size());
}

sql_tx_reply handle_tx(writer_actor* self, server_context& ctx,
                       sql_tx_request& req);

/// Autocommit SQL writes queued behind a session's transaction whose
/// statement was canceled or timed out meanwhile (issue 36): answered now
/// (57014, 55P03), never run. Checked every 10 ms while any can stop.
void sweep_stopped(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  st.sweep_tick = false;
  bool stoppable = false;
  for (size_t i = 0; i < st.pending.size();) {
    auto& ops = st.pending[i].batch.ops;
    auto* job = ops.size() == 1 && ops[0].sql ? ops[0].sql.get() : nullptr;
    if (!job || !job->stop) {
      ++i;
      continue;
    }
    auto why = ctx.hold.pinned ? job->stop(true) : sql::stop_reason::none;
    if (why == sql::stop_reason::none) {
      stoppable = true;
      ++i;
      continue;
    }
    sql::stop_error(why, job->sqlstate, job->message);
    engine::write_result r;
    r.error = job->message;
    st.pending[i].promise.deliver(std::move(r));
    st.pending.erase(st.pending.begin() + static_cast<long>(i));
  }
  ctx.hold.writer_pending = static_cast<int64_t>(st.pending.size());
  if (stoppable && ctx.hold.pinned) {
    st.sweep_tick = true;
    self->delayed_send(self, std::chrono::milliseconds(10),
                       pin_check_atom::value, uint64_t{1});
  }
}

void schedule_pin_check(writer_actor* self) {
  if (self->state.pin_tick)
    return;
  self->state.pin_tick = true;
  self->delayed_send(self, std::chrono::milliseconds(200),
                     pin_check_atom::value, uint64_t{0});
}

/// Runs the sessions that waited for the hold (and then the queued
/// batches) once it is free; the caller holds ctx.hold.m.
void resume_after_unpin(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  while (!st.waiting.empty() && !ctx.hold.pinned) {
    auto d = std::move(st.waiting.front());
    st.waiting.pop_front();
    if (d.req.deadline_ns && steady_ns() > d.req.deadline_ns) {
      // the session gave up waiting: running it now would commit work
      // its client was told had failed
      sql_tx_reply r;
      r.sqlstate = "57014";
      r.message = "canceling statement: timed out waiting for the writer";
      d.promise.deliver(std::move(r));
      continue;
    }
    d.promise.deliver(handle_tx(self, ctx, d.req));
  }
  if (!ctx.hold.pinned && !st.pending.empty() && !st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

/// A transaction request; the caller holds ctx.hold.m.
sql_tx_reply handle_tx(writer_actor* self, server_context& ctx,
                       sql_tx_request& req) {
  using op = sql_tx_request::op;
  auto& st = self->state;
  auto& store = *ctx.store;
  auto& hold = ctx.hold;
  sql_tx_reply r;
  if (hold.pinned != req.session) {
    if (req.expect_open) {
      r.sqlstate = "25P03";
      r.message = "the transaction was rolled back by the server (idle in "
                  "transaction for too long, or the writer restarted)";
      return r;
    }
    if (req.what == op::commit || req.what == op::rollback)
      return r; // nothing was written: nothing to end
    if (req.what != op::run && req.what != op::savepoint) {
      r.sqlstate = "3B001";
      r.message = "savepoint \"" + req.name + "\" does not exist";
      return r;
    }
    while (!st.pending.empty())
      flush(self, ctx); // what others queued commits first
    try {
      store.begin_session();
    } catch (const std::exception& e) {
      r.sqlstate = "40001";
      r.message = e.what();
      return r;
    }
    hold.pinned = req.session;
    schedule_pin_check(self);
  }
  bool ended = false;
  r = detail::run_held(ctx, req, ended);
  if (ended) { // the next waiting session runs from a message of its own,
    ctx.hold.wake_front(); // after this reply is out
    self->send(self, unpin_atom::value);
  }
  return r;
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
  {
    // a crashed predecessor may have left a SQL transaction open
    hold_lock g(ctx->hold.m);
    if (ctx->store->in_session())
      ctx->store->rollback_session();
    ctx->hold.pinned = 0;
    ctx->hold.writer_pending = 0; // (what it had queued was answered)
    ++ctx->hold.flushes;
    ctx->hold.wake_front(); // waiting sessions: the store is free
  }
  // the idle-in-transaction check runs all along: sessions take the store
  // on their own threads (store_writer_tx.cpp)
  schedule_pin_check(self);
  return {
    [=](sql_tx_atom, sql_tx_request& req) -> caf::result<sql_tx_reply> {
      auto& st = self->state;
      auto pinned = ctx->hold.pinned.load();
      // first come, first served: behind those already waiting too (a
      // hold ended on a session's thread is resumed by its unpin message)
      if ((pinned && pinned != req.session) ||
          (!pinned && !st.waiting.empty())) {
        auto rp = self->make_response_promise<sql_tx_reply>();
        st.waiting.push_back({std::move(req), rp});
        if (!pinned) {
          hold_lock g(ctx->hold.m);
          resume_after_unpin(self, *ctx);
        }
        return rp;
      }
      hold_lock g(ctx->hold.m);
      return handle_tx(self, *ctx, req);
    },
    [=](unpin_atom) {
      hold_lock g(ctx->hold.m);
      resume_after_unpin(self, *ctx);
    },
    [=](pin_check_atom, uint64_t what) {
      if (what == 1) // issue 36
        return sweep_stopped(self, *ctx);
      auto& hold = ctx->hold;
      self->state.pin_tick = false;
      schedule_pin_check(self);
      auto pinned = hold.pinned.load();
      if (!pinned)
        return;
      auto limit_ns =
        static_cast<int64_t>(ctx->config.pg.idle_in_transaction_timeout_ms) *
        1000000;
      if (steady_ns() - hold.last_active_ns >= limit_ns) {
        // (a statement running on the session's thread holds the lock
        // and is not idle: checked again once it is done)
        hold_lock g(hold.m);
        if (hold.pinned == pinned &&
            steady_ns() - hold.last_active_ns >= limit_ns) {
          spdlog::warn("SQL session {}: idle in transaction for {} ms; "
                       "rolled back",
                       pinned, ctx->config.pg.idle_in_transaction_timeout_ms);
          ctx->store->rollback_session();
          hold.pinned = 0;
          hold.wake_front();
          resume_after_unpin(self, *ctx);
        }
      }
    },
    [=](compact_atom) {
      hold_lock g(ctx->hold.m);
      if (ctx->hold.pinned) { // not inside a session's transaction
        self->delayed_send(self, std::chrono::milliseconds(200),
                           compact_atom::value);
        return;
      }
      compact(self, *ctx);
    },
    [=](write_atom,
        engine::write_batch& batch) -> caf::result<engine::write_result> {
      auto& st = self->state;
      auto rp = self->make_response_promise<engine::write_result>();
      st.pending.push_back({std::move(batch), rp});
      ctx->hold.writer_pending = static_cast<int64_t>(st.pending.size());
      if (ctx->hold.pinned && !st.sweep_tick) { // it waits: cancellable
        st.sweep_tick = true;
        self->delayed_send(self, std::chrono::milliseconds(10),
                           pin_check_atom::value, uint64_t{1});
      }
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
    [=](flush_atom) {
      hold_lock g(ctx->hold.m);
      flush(self, *ctx);
    },
    [=](save_blob_atom, const std::string& key,
        const std::string& value) -> bool {
      // server state outside the documents (the MQTT broker's sessions);
      // not while a SQL transaction holds the database: the caller retries
      if (ctx->hold.pinned)
        return false;
      hold_lock g(ctx->hold.m);
      if (ctx->hold.pinned)
        return false;
      while (!self->state.pending.empty())
        flush(self, *ctx);
      try {
        ctx->store->save_blob(key, value);
        return true;
      } catch (const std::exception& e) {
        spdlog::error("saving {} failed: {}", key, e.what());
        return false;
      }
    },
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
