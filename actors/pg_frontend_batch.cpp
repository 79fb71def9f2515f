/// The implicit transaction of an extended-query batch (issue 36): as in
/// PostgreSQL, the messages up to Sync run as one transaction when no
/// BEGIN block is open. Its writes hold the store writer (as a BEGIN block
/// does) from the first write that is not the batch's last message; Sync
/// commits them, an error rolls them back. A client that stops before Sync
/// is bounded by the writer's pg.idle_in_transaction_timeout_ms, after
/// which the writer rolls the batch back and its Sync gets 25P03.

#include "actors/pg_frontend.hpp"

namespace themis {

void pg_frontend::finish_batch() {
  if (!implicit_open())
    return;
  drop_overlay();
  auto r = tx_call(sql_tx_request::op::commit);
  apply_pending(r.sqlstate.empty());
  if (!r.sqlstate.empty())
    send_error(sql::sql_error(r.sqlstate, r.message), false);
}

void pg_frontend::rollback_implicit() {
  drop_overlay();
  tx_call(sql_tx_request::op::rollback); // a no-op if the writer holds none
  pinned_ = false;
}

} // namespace themis
