#pragma once
/// Rate limiting across connections: rules by route prefix, a key per
/// client (IP, API token) or global, and a bounded table of buckets. The
/// table is sharded by key hash (one small lock per shard), so a check is a
/// hash lookup and a few arithmetic operations on the caller's thread — no
/// message hop. Past `max_keys` the least recently used bucket is evicted
/// (a forgotten client starts with a full bucket: eviction can only make a
/// limit more lenient, never refuse wrongly); buckets idle for
/// `idle_expiry` are dropped by `sweep`.

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "limits/rate_algorithms.hpp"

namespace themis::limits {

enum class key_kind : uint8_t {
  ip,     ///< the peer address
  token,  ///< the API token / bearer token if any, else the peer address
  global, ///< one bucket for everybody
};

struct rule {
  std::string prefix; ///< request path prefix; "" matches everything
  limit_spec spec;
  key_kind key = key_kind::ip;
  std::string policy; ///< name in RateLimit-Policy
};

struct limiter_config {
  bool enabled = false;
  algorithm algo = algorithm::token_bucket;
  std::vector<rule> rules; ///< the longest matching prefix wins
  /// Per registry rate group (route_op::rate_group, issue 22): `prefix`
  /// holds the group's name; checked on top of the prefix rules.
  std::vector<rule> groups;
  std::vector<std::string> whitelist; ///< peer addresses never limited
  std::vector<std::string> exempt_prefixes = {"/health", "/metrics"};
  bool dry_run = false; ///< count refusals, never refuse
  size_t max_keys = 1'000'000;
  int64_t idle_expiry_ns = 600'000'000'000;
};

/// Parses a rule "PREFIX LIMIT/WINDOW [burst=N] [key=ip|token|global]",
/// e.g. "/v2/jobs 10/1s burst=20 key=token"; windows in ms, s, m or h.
/// Returns an error message, or nullopt.
std::optional<std::string> parse_rule(const std::string& text, rule& out);

/// Parses a group rule "NAME LIMIT/WINDOW [burst=N] [key=…]", e.g.
/// "query 20/1s burst=40 key=token"; NAME is [a-z0-9_-]+ (into `prefix`).
std::optional<std::string> parse_group_rule(const std::string& text, rule& out);

struct check_result {
  /// Keeps the rules alive while the caller reads `matched` (a SIGHUP may
  /// swap the configuration meanwhile).
  std::shared_ptr<const limiter_config> cfg;
  bool refused = false;      ///< answer with the protocol's limit error
  bool would_refuse = false; ///< dry run: counted, not enforced
  decision d;
  const rule* matched = nullptr;
};

class rate_limiter {
public:
  explicit rate_limiter(size_t shards = 16);

  /// Replaces the configuration (SIGHUP); buckets start afresh.
  void configure(std::shared_ptr<const limiter_config> cfg);
  std::shared_ptr<const limiter_config> config() const;

  /// nullopt: no rule applies (disabled, exempt, whitelisted, no match).
  std::optional<check_result> check(std::string_view path,
                                    std::string_view peer,
                                    std::string_view token, int64_t now_ns);

  /// The limit of the registry rate group `group` (limiter_config::groups)
  /// for this client; nullopt when the group has no limit or limits do
  /// not apply (disabled, exempt path, whitelisted peer).
  std::optional<check_result>
  check_group(std::string_view group, std::string_view path,
              std::string_view peer, std::string_view token, int64_t now_ns);

  /// The bucket a distributed backend (issue 25: Redis) takes from for
  /// this request: the rule that applies and the limiter's key for this
  /// client; nullopt exactly when check() would return nullopt.
  struct bucket_ref {
    std::shared_ptr<const limiter_config> cfg;
    const rule* matched = nullptr;
    std::string key;
  };
  std::optional<bucket_ref> bucket_for(std::string_view path,
                                       std::string_view peer,
                                       std::string_view token) const;
  std::optional<bucket_ref> bucket_for_group(std::string_view group,
                                             std::string_view path,
                                             std::string_view peer,
                                             std::string_view token) const;
  /// The check_result of decision `d` made elsewhere for `b`: dry run and
  /// the refusal counters as check() applies them.
  check_result result_of(const bucket_ref& b, const decision& d);

  /// Drops buckets idle past the expiry; returns how many.
  size_t sweep(int64_t now_ns);
  size_t size() const;

  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> dry_run_refusals{0};
  std::atomic<uint64_t> evictions{0};

private:
  struct node {
    bucket_state state;
    int64_t last_used_ns = 0;
    std::list<std::string>::iterator lru_pos;
  };
  struct shard {
    mutable std::mutex mtx;
    std::list<std::string> lru; ///< most recent first
    std::unordered_map<std::string, node> table;
  };
  shard& shard_for(const std::string& key);
  /// One request from `r`'s bucket for this client, keyed under `space`.
  check_result take_from(const std::shared_ptr<const limiter_config>& cfg,
                         const rule& r, const std::string& space,
                         std::string_view peer, std::string_view token,
                         int64_t now_ns);

  std::atomic<std::shared_ptr<const limiter_config>> cfg_;
  std::vector<std::unique_ptr<shard>> shards_;
};

} // namespace themis::limits
