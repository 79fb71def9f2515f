#pragma once
/// Every PostgreSQL backend of the server (issue 36): what
/// pg_stat_activity shows, the signals one session sends another
/// (terminate, cancel) and the notifications they exchange (LISTEN /
/// NOTIFY, and the change events of the `themis_changes` channels).
///
/// Backends are blocking threads (one per client, as PostgreSQL's
/// processes), so this is a shared structure under a mutex rather than an
/// actor: a NOTIFY reaches a listener's queue when its transaction
/// commits, without a hop, and the listener's thread is woken through its
/// eventfd. Queues are bounded in bytes: a session that does not read
/// loses notifications (counted, and told with a WARNING), never grows
/// without end. Lock order: the registry, then an entry.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace themis {

struct published_events;

struct pg_notification {
  int32_t pid = 0; ///< the notifying backend (0: a change event)
  std::string channel;
  std::string payload;
};

/// One backend. The fixed fields are set before it is shared; the rest
/// under `mtx`.
struct pg_backend_entry {
  int32_t pid = 0;
  std::string client_addr;
  int32_t client_port = -1;
  int64_t backend_start_us = 0; ///< Unix microseconds

  std::mutex mtx;
  void* db =
    nullptr;        ///< the read connection (sqlite3_interrupt); null once gone
  int wake_fd = -1; ///< eventfd the backend's thread polls; -1 once gone
  bool ready = false; ///< authenticated (listed in pg_stat_activity)
  std::string user, principal, tenant, database, application_name;
  bool admin = false;
  std::string state = "starting";
  std::string query;
  int64_t xact_start_us = 0, query_start_us = 0, state_change_us = 0;
  std::deque<pg_notification> queue;
  size_t queued_bytes = 0;
  uint64_t dropped = 0; ///< not yet reported to the client
  std::atomic<bool> terminate{false};
  /// A cancel of the statement running now: set (under mtx) only while
  /// the state is "active", cleared when a statement starts and when it
  /// ends. The read connection's progress handler stops the statement on
  /// it, so a cancel that lands while the statement is still being
  /// prepared (before SQLite runs anything) is not lost.
  std::atomic<bool> cancel{false};
  /// statement_timeout (issue 36): the steady-clock time (ns) the
  /// running statement must end by, 0 for none; the progress handler
  /// stops it then and sets `timed_out`.
  std::atomic<int64_t> deadline_ns{0};
  std::atomic<bool> timed_out{false};
};

class pg_sessions {
public:
  /// Per session: at most this many bytes of notifications wait.
  static constexpr size_t max_queued_bytes = 1u << 20;

  static int64_t now_us();

  std::shared_ptr<pg_backend_entry> add(int32_t pid, void* db,
                                        std::string remote, int wake_fd);
  /// The backend is gone: its listens end, nothing wakes it any more.
  void remove(int32_t pid);
  std::shared_ptr<pg_backend_entry> find(int32_t pid) const;
  std::vector<std::shared_ptr<pg_backend_entry>> all() const;

  // -- LISTEN / NOTIFY ------------------------------------------------------
  void listen(int32_t pid, const std::string& tenant,
              const std::string& channel);
  /// channel "" : every channel (UNLISTEN *).
  void unlisten(int32_t pid, const std::string& tenant,
                const std::string& channel);
  /// Committed notifications of `from` (duplicates already folded).
  void notify(int32_t from, const std::string& tenant,
              const std::vector<std::pair<std::string, std::string>>& notes);
  /// A committed group's change events, to the `themis_changes` listeners.
  void publish_changes(const published_events& ev);
  bool has_change_listeners() const { return change_listens_.load() > 0; }

  // -- signals ----------------------------------------------------------------
  /// Cancels the statement `e` runs (a no-op when it runs none).
  static void cancel(pg_backend_entry& e);
  /// The same for a CancelRequest: false if `pid` is unknown.
  bool cancel(int32_t pid);
  /// Asks `e` to end with FATAL 57P01 (and interrupts its statement).
  static void terminate(pg_backend_entry& e);

private:
  void enqueue(pg_backend_entry& e, pg_notification n);
  /// Under e.mtx.
  static void wake(const pg_backend_entry& e);

  mutable std::mutex mtx_;
  std::unordered_map<int32_t, std::shared_ptr<pg_backend_entry>> backends_;
  /// (tenant, channel) → listening pids
  std::map<std::pair<std::string, std::string>, std::set<int32_t>> listens_;
  std::atomic<int64_t> change_listens_{0};
};

} // namespace themis
