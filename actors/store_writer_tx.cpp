#include "actors/store_writer_tx.hpp"

#include <caf/all.hpp>
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

bool run_in_held_transaction(server_context& ctx, sql_tx_request& req,
                             sql_tx_reply& out) {
  auto& hold = ctx.hold;
  if (!req.session || !ctx.system || hold.pinned != req.session)
    return false;
  bool ended = false;
  {
    std::lock_guard<std::mutex> g(hold.m);
    // the writer may have rolled it back meanwhile (idle timeout, restart)
    if (hold.pinned != req.session || !ctx.store)
      return false;
    out = detail::run_held(ctx, req, ended);
  }
  if (ended) // whoever waited for the store runs now
    if (auto w = registered(*ctx.system, store_writer_name))
      caf::anon_send(w, unpin_atom::value);
  return true;
}

} // namespace themis
