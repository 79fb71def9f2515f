#pragma once
/// MCP sessions (Streamable HTTP, docs/mcp.md): created by `initialize`,
/// named by an unguessable Mcp-Session-Id, bound to the principal that
/// created them (another principal presenting the id gets 404, as if it
/// did not exist), expired after `mcp.session_idle_s` without a request.
/// A session holds the resource subscriptions its GET streams deliver and
/// the calls in flight that notifications/cancelled may stop. Requests of
/// one session arrive on any connection (actor), so everything here is
/// guarded by one mutex and holds no actor state.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "themis/principal.hpp"

namespace themis::aql {
struct run_progress;
}

namespace themis::mcp {

/// A call in flight: what notifications/cancelled reaches. `cancelled` and
/// the query's own cancel flag are atomics; the job id is set once the
/// job exists (under the session's mutex).
struct call_handle {
  std::atomic<bool> cancelled{false};
  std::shared_ptr<aql::run_progress> query; ///< aql_query's run (or null)
  std::string job_id;                       ///< submit_job's job (or "")
};

class session {
public:
  session(std::string id, principal who, std::string version);

  const std::string& id() const { return id_; }
  const principal& who() const { return who_; }
  const std::string& version() const { return version_; }
  /// Whether `p` is the principal this session was created for.
  bool bound_to(const principal& p) const;

  void touch();
  std::chrono::steady_clock::time_point last_used() const;
  void close() { closed_ = true; }
  bool closed() const { return closed_; }
  void set_initialized() { initialized_ = true; }

  /// Subscriptions by stored collection name and key ("": the whole
  /// collection); false when `max` subscriptions exist already.
  bool subscribe(const std::string& stored, const std::string& key, size_t max);
  void unsubscribe(const std::string& stored, const std::string& key);
  /// Whether a change of (stored, key) concerns a subscription: 0 no,
  /// 1 the document, 2 the collection, 3 both.
  int watches(const std::string& stored, const std::string& key) const;
  size_t subscriptions() const;

  /// Calls in flight by the JSON text of their request id.
  std::shared_ptr<call_handle> begin_call(const std::string& id);
  void end_call(const std::string& id);
  std::shared_ptr<call_handle> find_call(const std::string& id) const;
  void set_job(const std::shared_ptr<call_handle>& c, std::string job_id);
  std::string job_of(const std::shared_ptr<call_handle>& c) const;
  void set_query(const std::shared_ptr<call_handle>& c,
                 std::shared_ptr<aql::run_progress> q);
  std::shared_ptr<aql::run_progress>
  query_of(const std::shared_ptr<call_handle>& c) const;

  /// GET streams open on this session (bounded).
  std::atomic<int> get_streams{0};

private:
  const std::string id_;
  const principal who_;
  const std::string version_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> initialized_{false};
  mutable std::mutex mtx_;
  std::chrono::steady_clock::time_point last_used_;
  std::set<std::pair<std::string, std::string>> subs_;
  std::map<std::string, std::shared_ptr<call_handle>> calls_;
};

/// Every live session of the process.
class session_store {
public:
  /// The process's store: sessions outlive connections, and requests of
  /// one session reach any connection actor.
  static session_store& instance();

  /// A new session, or null when `max_total` sessions exist (after expired
  /// ones are dropped) or `who` holds `max_per_principal` already.
  std::shared_ptr<session> create(const principal& who,
                                  const std::string& version, size_t max_total,
                                  size_t max_per_principal,
                                  std::chrono::seconds idle);
  /// The session, if it exists, is not expired and is bound to `who`.
  std::shared_ptr<session> find(const std::string& id, const principal& who,
                                std::chrono::seconds idle);
  /// Ends a session (DELETE); false if there was none for `who`.
  bool remove(const std::string& id, const principal& who);
  size_t size() const;

private:
  void sweep(std::chrono::steady_clock::time_point now,
             std::chrono::seconds idle);

  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<session>> sessions_;
};

/// 256 bits from the system's random source, hex: session ids.
std::string random_id();

} // namespace themis::mcp
