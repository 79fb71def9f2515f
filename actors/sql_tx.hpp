#pragma once
/// Messages between a SQL session and the store writer about the
/// session's explicit transaction (the writer holds it while it is open).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace themis {

namespace sql {
struct write_job;
enum class stop_reason; // sql_executor.hpp
} // namespace sql

struct sql_tx_request {
  enum class op { run, commit, rollback, savepoint, release, rollback_to };
  uint64_t session = 0;
  op what = op::run;
  std::shared_ptr<sql::write_job> job;
  std::string name;         ///< savepoint
  bool expect_open = false; ///< the session believes its transaction is open
  /// steady_ns after which the session no longer waits (0: none): a
  /// request still queued then is answered 57014, not run
  int64_t deadline_ns = 0;
  /// The session's cancel, statement_timeout and lock_timeout (issue 36;
  /// sql::write_job::stop): a request waiting for the writer that another
  /// session holds stops waiting when it says so.
  std::function<sql::stop_reason(bool waiting)> stop;
};

struct sql_tx_reply {
  std::string sqlstate; ///< empty: ok
  std::string message;
  bool open = false; ///< the writer holds this session's transaction
};

} // namespace themis
