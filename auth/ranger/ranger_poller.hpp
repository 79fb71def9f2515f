#pragma once
/// Keeps a ranger_enforcer's policies current (issue 24). With a Ranger
/// Admin URL, a thread of its own (blocking libcurl, never a scheduler
/// thread) asks `{url}/service/plugins/policies/download/{service}?
/// lastKnownVersion=N` every poll interval: 200 installs the new set and
/// writes it to the disk cache (temp file + rename), 304 keeps the current
/// one, any failure keeps the last known policies (logged). At start the
/// disk cache, else the policy file, is loaded first, so a restart while
/// Ranger is down still enforces the last known policies. Without a URL,
/// the policy file is re-read when its modification time changes.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/ranger/ranger_enforcer.hpp"

namespace themis::auth::ranger {

struct poller_settings {
  std::string url; ///< Ranger Admin base URL; "" : file only
  std::string service;
  std::string file;       ///< policy file (exported ServicePolicies)
  std::string cache_file; ///< <data_dir>/ranger-policies.json
  std::string ca_file;    ///< https: CA bundle; "" : system
  std::string user;       ///< basic auth to Ranger Admin, optional
  std::string password;
  uint32_t poll_s = 30;
  uint32_t timeout_ms = 5000;
};

class ranger_poller {
public:
  ranger_poller(poller_settings s, std::shared_ptr<ranger_enforcer> e);
  ~ranger_poller(); ///< stops and joins
  ranger_poller(const ranger_poller&) = delete;
  ranger_poller& operator=(const ranger_poller&) = delete;

  /// Loads the cache or file synchronously, then starts the thread.
  void start();
  /// One poll now (also what the thread does); true when a set is in force.
  bool poll_once();

  uint64_t fetch_failures() const { return failures_.load(); }

private:
  bool load_text(const std::string& text, const std::string& from,
                 bool write_cache);
  void run();

  poller_settings settings_;
  std::shared_ptr<ranger_enforcer> enforcer_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> failures_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  int64_t file_mtime_ = 0;
};

} // namespace themis::auth::ranger
