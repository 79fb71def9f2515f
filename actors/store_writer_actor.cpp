#include "actors/store_writer_actor.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
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
  /// The SQL session whose explicit transaction the writer holds (0: none);
  /// other sessions' transaction requests wait in `waiting`, batches in
  /// `pending`, until it ends.
  uint64_t pinned = 0;
  uint64_t pin_gen = 0;
  std::chrono::steady_clock::time_point last_active;
  std::deque<deferred_tx> waiting;

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

void flush(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty() || st.pinned)
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

void publish_committed(writer_actor* self, server_context& ctx) {
  auto events = ctx.store->take_committed();
  ctx.metrics.engine_last_sequence = ctx.store->last_sequence();
  if (!events.empty())
    if (auto hub = registered(self->system(), changefeed_hub_name))
      self->send(hub, publish_atom::value,
                 std::make_shared<const std::vector<engine::change_event>>(
                   std::move(events)));
}

sql_tx_reply handle_tx(writer_actor* self, server_context& ctx,
                       sql_tx_request& req);

/// Ends the hold; the next waiting session (or the queued batches) run
/// from a message of their own, after this reply is out.
void unpin(writer_actor* self) {
  self->state.pinned = 0;
  self->send(self, unpin_atom::value);
}

void resume_after_unpin(writer_actor* self, server_context& ctx) {
  auto& st = self->state;
  while (!st.waiting.empty() && !st.pinned) {
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
  if (!st.pinned && !st.pending.empty() && !st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

sql_tx_reply handle_tx(writer_actor* self, server_context& ctx,
                       sql_tx_request& req) {
  using op = sql_tx_request::op;
  auto& st = self->state;
  auto& store = *ctx.store;
  sql_tx_reply r;
  if (st.pinned != req.session) {
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
    st.pinned = req.session;
    auto gen = ++st.pin_gen;
    self->delayed_send(self, std::chrono::milliseconds(200),
                       pin_check_atom::value, gen);
  }
  st.last_active = std::chrono::steady_clock::now();
  try {
    switch (req.what) {
      case op::run:
        store.run_in_session(*req.job);
        if (!req.job->sqlstate.empty()) {
          r.sqlstate = req.job->sqlstate;
          r.message = req.job->message;
        }
        break;
      case op::savepoint:
        store.session_savepoint(req.name);
        break;
      case op::release:
        store.session_release(req.name);
        break;
      case op::rollback_to:
        store.session_rollback_to(req.name);
        break;
      case op::commit: {
        std::string err;
        if (!store.commit_session(err)) {
          r.sqlstate = "40001";
          r.message = "could not commit: " + err;
        }
        publish_committed(self, ctx);
        ctx.metrics.engine_commits = store.commit_count();
        unpin(self);
        return r;
      }
      case op::rollback:
        store.rollback_session();
        unpin(self);
        return r;
    }
  } catch (const sql::sql_error& e) {
    r.sqlstate = e.sqlstate();
    r.message = e.what();
  } catch (const std::exception& e) {
    r.sqlstate = "XX000";
    r.message = e.what();
  }
  r.open = st.pinned == req.session;
  st.last_active = std::chrono::steady_clock::now(); // idle from the answer
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
  // a crashed predecessor may have left a SQL transaction open
  if (ctx->store->in_session())
    ctx->store->rollback_session();
  return {
    [=](sql_tx_atom, sql_tx_request& req) -> caf::result<sql_tx_reply> {
      auto& st = self->state;
      if (st.pinned && st.pinned != req.session) {
        auto rp = self->make_response_promise<sql_tx_reply>();
        st.waiting.push_back({std::move(req), rp});
        return rp;
      }
      return handle_tx(self, *ctx, req);
    },
    [=](unpin_atom) { resume_after_unpin(self, *ctx); },
    [=](pin_check_atom, uint64_t gen) {
      auto& st = self->state;
      if (!st.pinned || st.pin_gen != gen)
        return;
      auto idle = std::chrono::steady_clock::now() - st.last_active;
      auto limit = std::chrono::milliseconds(
        ctx->config.pg.idle_in_transaction_timeout_ms);
      if (idle >= limit) {
        spdlog::warn("SQL session {}: idle in transaction for {} ms; rolled "
                     "back",
                     st.pinned, limit.count());
        ctx->store->rollback_session();
        unpin(self);
        return;
      }
      self->delayed_send(self, std::chrono::milliseconds(200),
                         pin_check_atom::value, gen);
    },
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
    [=](save_blob_atom, const std::string& key,
        const std::string& value) -> bool {
      // server state outside the documents (the MQTT broker's sessions);
      // not while a SQL transaction holds the database: the caller retries
      if (self->state.pinned)
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
