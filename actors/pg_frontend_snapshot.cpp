/// One snapshot for a REPEATABLE READ or SERIALIZABLE transaction block's
/// reads (issue 36). pg_dump runs `BEGIN; SET TRANSACTION ISOLATION LEVEL
/// REPEATABLE READ, READ ONLY` and then reads the catalog and every table
/// with separate statements; PostgreSQL gives all of them the snapshot of
/// the first. Here reads run on the session's own SQLite connection
/// (db_), each statement otherwise in its own read transaction; inside
/// such a block the connection holds one read transaction (WAL mode: a
/// reader sees the database as of its first read and never blocks the
/// store writer) from the block's first statement after the level is set
/// until COMMIT/ROLLBACK.
///
/// Only blocks that name their level (BEGIN ISOLATION LEVEL …, SET
/// TRANSACTION …) get one: a plain BEGIN keeps reading the latest commit
/// per statement, as PostgreSQL's default READ COMMITTED does. Once the
/// block writes, its reads go through the store writer (which serializes
/// writers) and see the latest data plus its own writes.

#include <sqlite3.h>

#include "actors/pg_frontend.hpp"

namespace themis {

void pg_frontend::snapshot_settle() {
  bool want = false;
  if (tx_ != tx::idle && !pinned_ &&
      local_saved_.count("transaction_isolation")) {
    auto& level = info_.settings["transaction_isolation"];
    want = level == "repeatable read" || level == "serializable";
  }
  if (want == snapshot_ || !db_)
    return;
  if (want) {
    // BEGIN is deferred: the first read (the catalog's) starts the
    // snapshot, so read now, before the statement is translated
    if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
      return; // keep per-statement reads rather than fail the statement
    sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr,
                 nullptr);
    snapshot_ = true;
    cat_.epoch = 0; // load the catalog as of the snapshot
    return;
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK ||
      !sqlite3_get_autocommit(db_))
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  snapshot_ = false;
  if (!cat_overlay_)
    cat_.epoch = 0; // DDL committed meanwhile: read the catalog afresh
}

} // namespace themis
