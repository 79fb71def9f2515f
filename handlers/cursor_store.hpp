#pragma once
/// Open query cursors: the rest of a /v1/query result, handed out batch by
/// batch. Shared by every connection (a cursor may be read from another
/// connection than the one that created it), so it locks. Idle cursors
/// expire after `ttl`; an owner keeps at most an eighth of `max_cursors`
/// (its own oldest goes first), and a full store evicts from the owner
/// holding the most, so no tenant can push out another's cursors.
/// A cursor belongs to the principal that created it: another one (other
/// user, other tenant) is told it does not exist.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "themis/principal.hpp"

namespace themis {

/// A handle for a client (cursor, job): `bytes` from the OpenSSL CSPRNG as
/// lower-case hex, so an id says nothing about any other. Throws if the
/// generator fails (never a weaker fallback).
std::string random_handle(size_t bytes = 16);

struct cursor_batch {
  std::string rows_json; ///< a JSON array of the batch's rows
  bool has_more = false;
  uint64_t count = 0; ///< rows of the whole result
};

class cursor_store {
public:
  using clock = std::chrono::steady_clock;

  cursor_store(std::chrono::seconds ttl, size_t max_cursors);

  /// Keeps `rows` (rendered JSON values) for `owner`, handed out `batch`
  /// at a time; returns the cursor id (128 random bits).
  std::string add(const principal& owner, std::vector<std::string> rows,
                  size_t batch, uint64_t total);
  /// The next batch; the cursor is gone after its last one. nullopt for an
  /// unknown or expired id, or one `who` may not see.
  std::optional<cursor_batch> next(const std::string& id, const principal& who);
  /// False for an unknown id or one `who` may not see (it stays).
  bool remove(const std::string& id, const principal& who);
  size_t size();

private:
  struct cursor {
    std::vector<std::string> rows;
    size_t pos = 0;
    size_t batch = 1;
    uint64_t total = 0; ///< rows of the whole result, first batch included
    clock::time_point last_used;
    std::string owner_user;
    std::string owner_tenant;
  };
  void sweep(clock::time_point now);

  std::mutex mtx_;
  std::unordered_map<std::string, cursor> cursors_;
  std::chrono::seconds ttl_;
  size_t max_;
};

} // namespace themis
