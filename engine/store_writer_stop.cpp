/// Stopping a SQL statement that already runs in the store writer (issue
/// 36): a cancel, the statement_timeout or the session's end reaches a write
/// in the writer, also one inside a transaction block that holds it.
///
/// The writer's connection is shared by every session, so its progress
/// handler asks only the job that runs at that moment (`running_`, set
/// around each SQL job): a signal meant for another session, or for this
/// session's previous statement, cannot stop it (a session clears its
/// signals when a statement starts and when it ends, and its job runs only
/// while its statement does).
///
/// Stopping takes two steps because SQLite undoes the whole transaction
/// when it interrupts a write (sqlite3_interrupt, or a progress handler
/// that returns non-zero): that would undo every other batch of the group
/// commit, or the whole transaction block. So first the statement's next
/// written row fails (themis_seq raises the session's error and SQLite
/// undoes that statement only); a statement that writes no row within
/// `stop_grace_ns` after that (a long scan) is interrupted, and the caller
/// deals with the lost transaction: the group commit runs its other
/// batches again, a transaction block becomes aborted for good.

#include <chrono>
#include <sqlite3.h>

#include "engine/sqlite_shm_locks.hpp"
#include "engine/store_writer.hpp"

namespace themis::engine {

namespace {

/// How long a stopped statement may go on without writing a row before it
/// is interrupted outright (and its transaction lost).
constexpr int64_t stop_grace_ns = 100'000'000;

/// Before main(): every connection the process opens uses it (this unit is
/// linked wherever the store writer is).
const bool shm_locks_installed = install_process_shm_locks();

int64_t steady_now_ns() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

} // namespace

int store_writer::on_progress(void* self) {
  auto* w = static_cast<store_writer*>(self);
  auto* job = w->running_;
  if (!job || !job->stop)
    return 0;
  if (!w->stop_since_ns_) {
    auto r = job->stop(false);
    if (r == sql::stop_reason::none)
      return 0;
    sql::stop_error(r, w->counters_.stop_state, w->counters_.stop_message);
    w->stop_since_ns_ = steady_now_ns();
    return 0; // the next written row fails (the statement only)
  }
  return steady_now_ns() - w->stop_since_ns_ > stop_grace_ns ? 1 : 0;
}

bool store_writer::stopped_before_start(sql::write_job& job) {
  if (!job.stop)
    return false;
  auto r = job.stop(false);
  if (r == sql::stop_reason::none)
    return false;
  sql::stop_error(r, job.sqlstate, job.message);
  return true;
}

void store_writer::run_stoppable(sql::write_job& job, sql::change_sink& sink) {
  struct disarm {
    store_writer* w;
    ~disarm() {
      w->running_ = nullptr;
      w->stop_since_ns_ = 0;
      w->counters_.stop_state.clear();
      w->counters_.stop_message.clear();
    }
  } g{this};
  running_ = &job;
  stop_since_ns_ = 0;
  try {
    sql::run_write(db_.handle(), counters_, sink, job);
  } catch (const sql::sql_error&) {
    // stopped: the session's reason, whichever statement part noticed it
    if (!counters_.stop_state.empty())
      throw sql::sql_error(counters_.stop_state, counters_.stop_message);
    throw;
  }
}

bool store_writer::transaction_lost() {
  // every SQL job runs inside the writer's BEGIN: autocommit mode again
  // means SQLite rolled it back (an interrupted write)
  return sqlite3_get_autocommit(db_.handle()) != 0;
}

} // namespace themis::engine
