#include "actors/store_writer_tx.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <mutex>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "engine/sql/sql_executor.hpp"

namespace themis {

namespace {

/// Hands the committed change events to the changefeed hub. Called under
/// ctx.hold.m, like every commit, so the hub receives them in commit order
/// whichever thread committed.
void publish_committed(server_context& ctx) {
  auto events = ctx.store->take_committed();
  ctx.metrics.engine_last_sequence = ctx.store->last_sequence();
  if (events.empty() || !ctx.system)
    return;
  if (auto hub = registered(*ctx.system, changefeed_hub_name))
    caf::anon_send(hub, publish_atom::value,
                   std::make_shared<const std::vector<engine::change_event>>(
                     std::move(events)));
}

} // namespace

namespace detail {

sql_tx_reply run_held(server_context& ctx, sql_tx_request& req, bool& ended) {
  using op = sql_tx_request::op;
  auto& store = *ctx.store;
  auto& hold = ctx.hold;
  sql_tx_reply r;
  hold.last_active_ns = steady_ns();
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
        std::string err, state;
        if (!store.commit_session(err, &state)) {
          // a deferred constraint names its own error; COMMIT itself
          // failing is a serialization failure
          r.sqlstate = state.empty() ? "40001" : state;
          r.message = state.empty() ? "could not commit: " + err : err;
        }
        publish_committed(ctx);
        ctx.metrics.engine_commits = store.commit_count();
        hold.pinned = 0;
        ended = true;
        return r;
      }
      case op::rollback:
        store.rollback_session();
        hold.pinned = 0;
        ended = true;
        return r;
    }
  } catch (const sql::sql_error& e) {
    r.sqlstate = e.sqlstate();
    r.message = e.what();
  } catch (const std::exception& e) {
    r.sqlstate = "XX000";
    r.message = e.what();
  }
  r.open = hold.pinned == req.session;
  hold.last_active_ns = steady_ns(); // idle from the answer
  return r;
}

} // namespace detail

namespace {

/// Waits (under `lk`) until `session` is at the front of the queue and the
/// store is free, letting one group commit of queued autocommit writes go
/// first; then opens the session's transaction. False with `out` set if
/// it gave up (deadline, shutdown) or BEGIN failed.
bool take_store(server_context& ctx, std::unique_lock<std::mutex>& lk,
                const sql_tx_request& req, sql_tx_reply& out) {
  auto& hold = ctx.hold;
  writer_hold::waiter me{req.session, {}};
  hold.queue.push_back(&me);
  auto deadline = req.deadline_ns
                    ? req.deadline_ns
                    : steady_ns() + int64_t{299} * 1000000000; // as before
  auto flushes_seen = hold.flushes.load();
  bool asked = false;
  for (;;) {
    if (hold.queue.front() == &me && !hold.pinned) {
      // queued autocommit writes commit first (one group since we came)
      if (hold.writer_pending == 0 || hold.flushes != flushes_seen)
        break;
      if (!asked) { // the writer flushes once the store is free
        asked = true;
        if (auto w = registered(*ctx.system, store_writer_name))
          caf::anon_send(w, unpin_atom::value);
      }
    }
    auto now = steady_ns();
    // a cancel, statement_timeout or lock_timeout while it waits (issue 36)
    // (lock_timeout only while another session holds or is to hold the
    // store, not for a group commit in progress)
    auto why = req.stop ? req.stop(hold.pinned || hold.queue.front() != &me)
                        : sql::stop_reason::none;
    if (now >= deadline || ctx.stopping || why != sql::stop_reason::none) {
      for (auto it = hold.queue.begin(); it != hold.queue.end(); ++it)
        if (*it == &me) {
          hold.queue.erase(it);
          break;
        }
      hold.wake_front(); // the front may have changed
      out.sqlstate = ctx.stopping ? "57P01" : "57014";
      out.message = ctx.stopping
                      ? "terminating connection due to administrator command"
                      : "canceling statement: timed out waiting for the writer";
      if (!ctx.stopping && why != sql::stop_reason::none)
        sql::stop_error(why, out.sqlstate, out.message);
      return false;
    }
    // in slices: a shutdown, a cancel or a timeout is noticed without a
    // notification (within 10 ms when the session can be stopped)
    me.cv.wait_for(lk, std::chrono::nanoseconds(std::min<int64_t>(
                         deadline - now, req.stop ? 10000000 : 200000000)));
  }
  hold.queue.pop_front();
  try {
    ctx.store->begin_session();
  } catch (const std::exception& e) {
    hold.wake_front();
    out.sqlstate = "40001";
    out.message = e.what();
    return false;
  }
  hold.pinned = req.session;
  return true;
}

} // namespace

bool run_in_held_transaction(server_context& ctx, sql_tx_request& req,
                             sql_tx_reply& out) {
  using op = sql_tx_request::op;
  auto& hold = ctx.hold;
  if (!req.session || !ctx.system || !ctx.store)
    return false;
  bool ended = false;
  {
    std::unique_lock<std::mutex> lk(hold.m);
    if (hold.pinned != req.session) {
      // what the writer actor answers when the session holds nothing
      if (req.expect_open) {
        out.sqlstate = "25P03";
        out.message = "the transaction was rolled back by the server (idle "
                      "in transaction for too long, or the writer restarted)";
        return true;
      }
      if (req.what == op::commit || req.what == op::rollback)
        return true; // nothing was written: nothing to end
      if (req.what != op::run && req.what != op::savepoint) {
        out.sqlstate = "3B001";
        out.message = "savepoint \"" + req.name + "\" does not exist";
        return true;
      }
      if (!take_store(ctx, lk, req, out))
        return true;
    }
    out = detail::run_held(ctx, req, ended);
    if (ended)
      hold.wake_front(); // the next waiting session takes the store
  }
  if (ended && ctx.hold.writer_pending > 0) // queued autocommit writes
    if (auto w = registered(*ctx.system, store_writer_name))
      caf::anon_send(w, unpin_atom::value);
  return true;
}

} // namespace themis
