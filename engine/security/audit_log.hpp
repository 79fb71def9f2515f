#pragma once
/// The append-only audit log (issue 9): authentication failures, admin
/// actions and token changes, with the request id that caused them. Rows
/// live in `auth.db`; triggers refuse UPDATE and DELETE, so not even a
/// bug in this process can rewrite history. Appends are cheap (one row,
/// WAL, synchronous=NORMAL) and serialized by a mutex: callers are
/// connection actors and PG backends on many threads.

#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "engine/sqlite_db.hpp"

namespace themis::engine {

struct audit_event {
  int64_t seq = 0;
  int64_t ts_ms = 0;
  std::string action;   ///< auth.failure, auth.denied, key.create, …
  std::string outcome;  ///< ok | denied | failed
  std::string protocol; ///< http, mqtt, postgres
  std::string user;     ///< principal (or the name that was claimed)
  std::string tenant;
  std::string remote;     ///< peer address
  std::string request_id; ///< X-Request-ID, MQTT client id, PG pid
  std::string detail;
};

/// What ThemisDB's /api/audit filters on (issue 34) that SQL can decide;
/// the handler derives and filters the rest (entity type and id).
struct audit_filter {
  int64_t from_ms = 0;                                 ///< inclusive
  int64_t to_ms = std::numeric_limits<int64_t>::max(); ///< inclusive
  std::string tenant;
  bool all = false; ///< every tenant
  int64_t after_seq = 0;
  std::string user;   ///< case-insensitive substring; empty: any
  std::string action; ///< case-insensitive substring; empty: any
  bool only_ok = false;
};

class audit_log {
public:
  audit_log(const std::string& path, int busy_timeout_ms);

  /// Appends (seq and, if 0, ts_ms are filled in); never throws: an audit
  /// failure is logged by the caller's counter, not turned into an outage.
  bool append(audit_event e);
  /// Events after `after_seq` in order, at most `limit`; `tenant` filters
  /// unless empty and `all`.
  std::vector<audit_event> list(int64_t after_seq, size_t limit,
                                const std::string& tenant, bool all,
                                const std::string& action = {});
  /// Visits the events matching `f`, newest first, until `visit` returns
  /// false. Appends wait meanwhile; callers bound their visits.
  void scan(const audit_filter& f,
            const std::function<bool(const audit_event&)>& visit);
  uint64_t failures() const { return failures_; }

private:
  std::mutex mtx_;
  sqlite_db db_;
  uint64_t failures_ = 0;
};

} // namespace themis::engine
