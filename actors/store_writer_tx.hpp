#pragma once
/// A SQL session's explicit transaction in the store writer. The writer
/// actor opens it (the first write of a transaction block waits its turn
/// there); from then on the session holds the store (ctx.hold) and its
/// statements, savepoints and COMMIT run on the session's own thread, under
/// the hold's mutex, without a message round trip to the writer per
/// statement. Measured with pgbench's TPC-B-like script (docs/performance.md).

#include "actors/sql_tx.hpp"

namespace themis {

struct server_context;

/// Runs `req` on the calling thread if its session holds the store's
/// transaction: true with the answer in `out`; false if it does not (the
/// caller sends the request to the writer actor, which opens the
/// transaction, queues it behind another session's, or answers 25P03).
bool run_in_held_transaction(server_context& ctx, sql_tx_request& req,
                             sql_tx_reply& out);

namespace detail {

/// Runs `req` of the session that holds the store; the caller holds
/// ctx.hold.m. `ended`: COMMIT or ROLLBACK released the hold (the writer
/// actor must resume whoever waits).
sql_tx_reply run_held(server_context& ctx, sql_tx_request& req, bool& ended);

} // namespace detail

} // namespace themis
