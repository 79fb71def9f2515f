#pragma once
/// Parsed and validated GraphQL documents by query text (issue 21,
/// performance): a document is immutable and so is a tenant's schema at
/// one schema epoch, so a repeated query skips lexing, parsing and
/// validation. Keyed by tenant, schema epoch, the validation limits and the
/// text; bounded: at most `max_entries` documents and `max_text_bytes` of
/// query text (the AST costs a bounded multiple of it), least recently
/// used first out, texts over `max_entry_bytes` never cached. Documents
/// whose validation reads variables (a list size given by a variable feeds
/// the complexity limit) are not cached. Thread-safe.

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/error.hpp"

namespace themis::gql {

/// A document that parsed and passed validation.
using cached_document = std::shared_ptr<const graphql::document>;

class doc_cache {
public:
  static constexpr std::size_t max_entries = 1024;
  static constexpr std::size_t max_text_bytes = 256 * 1024;
  static constexpr std::size_t max_entry_bytes = 16 * 1024;

  /// The process-wide cache the HTTP and WebSocket transports share.
  static doc_cache& shared();

  /// The key of `text` for a tenant, schema epoch and limits signature.
  static std::string key(const std::string& tenant, std::uint64_t epoch,
                         const std::string& limits, const std::string& text);

  cached_document find(const std::string& key);
  /// Stores a valid document (ignored when too large for the cache).
  void put(const std::string& key, std::size_t text_bytes, cached_document doc);

  std::size_t size() const;
  std::size_t hits() const;
  std::size_t misses() const;

private:
  struct entry {
    std::string key;
    std::size_t bytes = 0;
    cached_document doc;
  };
  mutable std::mutex mtx_;
  std::list<entry> lru_; ///< most recent first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
  std::size_t bytes_ = 0;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

/// Whether validating `doc` reads variables (first/last/limit given by a
/// variable: the complexity limit uses its value), so its validation result
/// cannot be reused for other variables.
bool validation_reads_variables(const graphql::document& doc);

} // namespace themis::gql
