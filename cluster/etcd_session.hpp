#pragma once
/// One node's session with etcd (issue 25, docs/cluster.md): membership
/// under a lease, the live node set, the leader, and the replicated
/// configuration, on two threads of its own (never a scheduler thread):
///
/// - the lease thread grants a lease of `ttl_s`, puts
///   `<prefix>/nodes/<id>` under it and keeps it alive every ttl/4; a
///   failing keepalive (timeout, no leader, lease gone) starts a
///   "quorum lost" episode (CRITICAL once), which ends when etcd answers
///   again (the lease is re-granted and the key re-put if it expired);
/// - the watch thread reads everything under the prefix (one range) and
///   then follows it with a /v3/watch stream from the next revision; a
///   broken stream or a compacted revision starts over with a fresh range,
///   so a node that missed events resynchronises.
///
/// Leader: etcd's concurrency election rule — among the live node keys
/// (each under its node's lease), the one with the lowest create revision
/// leads; when its lease ends (node stopped, killed, cut off), the next
/// oldest takes over as soon as the DELETE event arrives. The probe thread
/// of the next oldest shortens a crash to ~2 probes (leader_probe.hpp).
///
/// Replicated configuration: `<prefix>/config/<section>` holds a JSON text;
/// every change (from any node or etcdctl) is handed to the applier on the
/// watch thread, in revision order; an applier error is logged and the
/// section keeps its last good value.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_http.hpp"

namespace themis::cluster {

struct etcd_node {
  std::string id;
  std::string address; ///< what the node advertised (its HTTP host:port)
  int64_t create_revision = 0;
  int64_t lease = 0; ///< the node's lease (revocable by anyone)
};

struct config_entry {
  std::string text;         ///< the JSON as stored
  int64_t mod_revision = 0; ///< etcd's, for compare-and-swap
  bool applied = false;     ///< false: the applier refused it
  std::string error;        ///< why it was refused
};

/// What a node knows of the cluster; a copy, safe to keep.
struct cluster_view {
  std::vector<etcd_node> nodes; ///< live nodes, by id
  std::string leader;           ///< node id ("" while unknown)
  int64_t revision = 0;         ///< etcd revision last seen
  std::map<std::string, config_entry> config;
  bool registered = false;  ///< our node key is live under our lease
  bool etcd_up = false;     ///< the last keepalive / range answered
  bool quorum_lost = false; ///< in an episode (see above)
  uint64_t episodes = 0;    ///< quorum-loss episodes so far
  int64_t lease = 0;
  int64_t lease_ttl = 0;
  std::string endpoint; ///< the member the lease thread talks to
};

struct config_write {
  int status = 0; ///< 200 stored, 409 revision mismatch, 503 etcd unavailable
  std::string error;
  int64_t revision = 0;         ///< 200: the new mod revision
  int64_t current_revision = 0; ///< 409: the stored one (0: no key)
  std::string current;          ///< 409: the stored text
};

class etcd_session {
public:
  struct config {
    etcd_http_config http;
    std::string prefix = "/themis"; ///< without a trailing '/'
    std::string node_id;
    std::string address;
    int64_t ttl_s = 2;
    int request_timeout_ms = 1000;
    /// The next node in line probes the leader's address this often and
    /// revokes its lease once it refuses connections twice (crashed);
    /// 0: wait for the lease to expire (cluster/leader_probe.hpp).
    int leader_probe_ms = 100;
    /// Self-watchdog: when heartbeat() has not been called for this long
    /// (the node's scheduler is stuck while this thread still runs), the
    /// lease is no longer kept alive, so it lapses and another node leads;
    /// a hung leader must not hold leadership. 0: off.
    int stall_ms = 0;
  };
  /// Applies one section's JSON; an error refuses it (logged, kept out).
  using applier = std::function<std::optional<std::string>(
    const std::string& section, const std::string& text)>;
  /// Called on the watch or lease thread after the view changed.
  using listener = std::function<void(const cluster_view&)>;

  etcd_session(config cfg, applier apply, listener on_change);
  ~etcd_session();
  etcd_session(const etcd_session&) = delete;
  etcd_session& operator=(const etcd_session&) = delete;

  void start();
  /// The node's scheduler is alive (called by the cluster actor's tick).
  void heartbeat();
  /// Stops both threads and revokes the lease (the node leaves at once).
  void stop();

  cluster_view view() const;
  bool is_leader() const;
  /// Compare-and-swap put of `<prefix>/config/<section>` on the caller's
  /// thread (blocking up to the request timeout): only if its mod revision
  /// is still `expected` (0: it must not exist yet).
  config_write put_config(const std::string& section, const std::string& text,
                          int64_t expected);

  const std::string& prefix() const { return cfg_.prefix; }

private:
  struct config_change {
    std::string section;
    std::string text; ///< "" : the section was deleted
    int64_t mod_revision = 0;
  };
  void apply_changes(const std::vector<config_change>& changes);
  void lease_loop();
  void watch_loop();
  void probe_loop();
  bool resync(etcd_http& http, int64_t& next_rev);
  void on_kv(const std::string& key, const std::string& value,
             int64_t create_rev, int64_t lease, bool deleted);
  void recompute_leader();
  void notify();
  void set_up(bool up, const std::string& why);
  void sleep_ms(int ms);

  config cfg_;
  applier apply_;
  listener on_change_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> beat_ms_{0}; ///< steady ms of the last heartbeat()
  std::atomic<bool> leader_{false};
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  cluster_view view_;
  std::map<std::string, etcd_node> nodes_;
  std::thread lease_thread_;
  std::thread watch_thread_;
  std::thread probe_thread_;
};

} // namespace themis::cluster
