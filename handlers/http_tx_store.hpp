#pragma once
/// HTTP transactions (ThemisDB's POST /transaction/begin, X-Transaction-Id,
/// commit, rollback). A transaction stages its writes here, not in the
/// store: its own reads and queries see them (read-your-writes), nobody
/// else does, and commit sends the final state of every touched key to
/// the store writer as one atomic batch. So the single writer is never
/// held across client round trips, and change events appear only at
/// commit. Conflicts are detected at commit (first committer wins): under
/// snapshot isolation every key the transaction read or wrote must still
/// have the revision it saw; under read committed, keys it updated or
/// deleted must still exist.
///
/// Hostile callers: ids are 128 random bits, every access checks the
/// owner (another principal gets "not found"), open transactions per
/// principal, staged keys and staged bytes are bounded, and idle
/// transactions expire.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/read_types.hpp"
#include "engine/tx_overlay.hpp"
#include "engine/write_types.hpp"
#include "themis/principal.hpp"

namespace themis {

struct http_tx_limits {
  size_t max_per_principal = 64;
  size_t max_open = 10000;
  size_t max_keys = 10000;               ///< distinct keys staged
  size_t max_bytes = 16u * 1024u * 1024; ///< staged document bytes
  std::chrono::milliseconds default_timeout{60000};
  std::chrono::milliseconds max_timeout{3600000};
};

/// Reads a committed document (the reader pool, in the server).
using committed_reader = std::function<std::optional<engine::document>(
  const std::string& collection, const std::string& key)>;

class http_tx {
public:
  enum class isolation { read_committed, snapshot };
  enum class state { active, committing };

  http_tx(std::string id, principal owner, isolation iso,
          std::chrono::milliseconds timeout);

  const std::string& id() const { return id_; }
  isolation level() const { return iso_; }
  const char* level_name() const {
    return iso_ == isolation::snapshot ? "snapshot" : "read_committed";
  }
  const principal& owner() const { return owner_; }
  int64_t created_ms() const { return created_ms_; }

  /// The document as this transaction sees `key` (staged, else — under
  /// snapshot, as first read — committed). nullopt: absent.
  std::optional<std::string> read(const std::string& collection,
                                  const std::string& key,
                                  const committed_reader& committed);
  /// Stages a batch as the store writer would apply it to this
  /// transaction's view, returning the same per-op results (revisions are
  /// provisional until commit). Atomic batches stage all or nothing.
  engine::write_result stage(const engine::write_batch& batch,
                             const committed_reader& committed,
                             const http_tx_limits& limits);
  /// A copy of the staged documents for a query to read.
  std::shared_ptr<const engine::tx_overlay> overlay() const;
  /// The atomic batch that commits this transaction, ending with its
  /// TRANSACTION_COMMIT marker; empty ops if nothing was staged.
  engine::write_batch commit_batch(const std::string& tenant_prefix) const;
  size_t staged_keys() const;

private:
  friend class http_tx_store;
  engine::op_result stage_one(const engine::write_op& op,
                              const committed_reader& committed,
                              const http_tx_limits& limits,
                              std::map<std::pair<std::string, std::string>,
                                       std::optional<std::string>>& pending);
  std::optional<std::string> view(const std::string& collection,
                                  const std::string& key,
                                  const committed_reader& committed);

  mutable std::mutex mtx_;
  std::string id_;
  principal owner_;
  isolation iso_;
  int64_t created_ms_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point last_used_;
  state state_ = state::active;
  engine::tx_overlay overlay_;
  /// the committed revision first seen per key ("" = absent)
  std::map<std::pair<std::string, std::string>, std::string> seen_;
  /// snapshot isolation: committed documents as first read
  std::map<std::pair<std::string, std::string>, std::optional<std::string>>
    snapshot_;
  size_t bytes_ = 0;
  uint64_t counter_ = 0; ///< provisional revisions
};

struct http_tx_stats {
  uint64_t active = 0, begun = 0, committed = 0, aborted = 0;
  uint64_t total_duration_ms = 0, max_duration_ms = 0, completed = 0;
};

class http_tx_store {
public:
  explicit http_tx_store(http_tx_limits limits = {}) : limits_(limits) {}

  const http_tx_limits& limits() const { return limits_; }
  /// A new transaction for `who`; nullptr and `error` when over a bound.
  std::shared_ptr<http_tx> begin(const principal& who, http_tx::isolation iso,
                                 std::chrono::milliseconds timeout,
                                 std::string& error);
  /// The caller's open transaction `id`, touched (idle timer reset);
  /// nullptr if unknown, expired, committing or someone else's.
  std::shared_ptr<http_tx> find(const std::string& id, const principal& who);
  /// Takes `id` out for commit: nobody can use it meanwhile.
  std::shared_ptr<http_tx> take_for_commit(const std::string& id,
                                           const principal& who);
  /// After the commit batch answered: ended (true) or back to active.
  void finish_commit(const std::shared_ptr<http_tx>& tx, bool ended,
                     bool committed);
  /// Ends the caller's transaction without writing; false if unknown.
  std::shared_ptr<http_tx> rollback(const std::string& id,
                                    const principal& who);
  http_tx_stats stats();

private:
  void expire_locked(std::chrono::steady_clock::time_point now);
  void end_locked(const std::string& id, bool committed);

  http_tx_limits limits_;
  std::mutex mtx_;
  std::map<std::string, std::shared_ptr<http_tx>> open_;
  http_tx_stats stats_;
};

/// Whether two principals are the same caller (user, tenant, credential).
bool same_principal(const principal& a, const principal& b);

} // namespace themis
