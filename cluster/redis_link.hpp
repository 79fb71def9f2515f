#pragma once
/// The rate limiter's connection to Redis (issue 25): one hiredis async
/// context driven by poll() on a thread this object owns, so a limiter
/// decision never blocks a CAF scheduler thread or an Asio thread.
/// Requests from any thread are queued (bounded) and pipelined: each
/// bucket is one EVALSHA written without waiting for earlier replies.
///
/// Failure handling: a request not answered within `timeout_ns` is
/// decided by the local fallback buckets (limit / nodes_hint); three
/// timeouts in a row, a connection error or a failed handshake end the
/// episode's link (WARN once per episode), and the link reconnects with
/// backoff (100 ms doubling to 2 s). While it is down, decisions are
/// local at once, without waiting. No CAF, no Asio.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/fallback_buckets.hpp"
#include "cluster/redis_url.hpp"
#include "limits/limit_wire.hpp"

struct redisAsyncContext; // hiredis
struct redisReply;

namespace themis::cluster {

enum class link_state : int { down = 0, connecting = 1, up = 2 };

class redis_link {
public:
  struct config {
    std::vector<redis_url> urls; ///< tried in turn on each reconnect
    std::string key_prefix = "themis:rl:";
    int64_t timeout_ns = 20'000'000;
    size_t max_pending = 10000; ///< queued + in flight; beyond: local
    uint32_t nodes_hint = 1;
    size_t max_local_keys = 100000;
  };
  /// Called exactly once per request, on the link's thread.
  using done_fn = std::function<void(std::vector<limits::limit_answer>)>;

  explicit redis_link(config cfg);
  ~redis_link();
  redis_link(const redis_link&) = delete;
  redis_link& operator=(const redis_link&) = delete;

  void start();
  /// Answers everything still waiting (locally) and joins the thread.
  void stop();
  /// Thread-safe; `done` runs on the link's thread.
  void submit(std::vector<limits::limit_item> items, done_fn done);

  link_state state() const { return state_.load(); }
  /// The live node count from cluster membership (etcd, issue 25): the
  /// local fallback divides limits by it instead of `nodes_hint`; 0 goes
  /// back to the hint. Thread-safe.
  void set_live_nodes(uint32_t n) { live_nodes_.store(n); }

  // counters for /metrics (read from any thread)
  std::atomic<uint64_t> redis_decisions{0};
  std::atomic<uint64_t> local_decisions{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> episodes{0};
  std::atomic<uint64_t> errors{0}; ///< error / malformed replies
  std::atomic<uint64_t> connects{0};

private:
  struct request;
  struct slot;
  void run();
  void dispatch(std::shared_ptr<request> r, int64_t now);
  void send_item(const std::shared_ptr<request>& r, size_t i, bool eval);
  void answer_local(request& r, size_t i, int64_t now);
  void finish_if_done(request& r);
  void expire(int64_t now);
  void connect(int64_t now);
  void go_down(const std::string& why, int64_t now);
  void became_up();

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* priv);
  static void on_handshake(redisAsyncContext* ac, void* reply, void* priv);

  config cfg_;
  std::thread thread_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<link_state> state_{link_state::down};
  std::atomic<size_t> queued_{0}; ///< submitted, not yet answered

  std::mutex mtx_; ///< guards incoming_
  std::vector<std::shared_ptr<request>> incoming_;
  bool closed_ = false; ///< the thread has answered its last request

  // -- the link thread's own state --
  redisAsyncContext* ac_ = nullptr;
  bool want_read_ = false, want_write_ = false;
  bool drop_ = false; ///< free ac_ at the loop's next turn (not in a callback)
  std::string drop_why_;
  size_t url_index_ = 0;
  int64_t next_connect_ns_ = 0;
  int64_t backoff_ns_ = 100'000'000;
  int64_t handshake_deadline_ns_ = 0;
  int handshake_left_ = 0;
  std::string sha_[2]; ///< token bucket, sliding window
  int consecutive_timeouts_ = 0;
  bool warned_ = false; ///< a WARN for this episode was logged
  std::deque<std::shared_ptr<request>> inflight_; ///< deadline order
  fallback_buckets local_;
  std::atomic<uint32_t> live_nodes_{0};
};

} // namespace themis::cluster
