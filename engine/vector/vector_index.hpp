#pragma once
/// One HNSW index (hnswlib) over the vectors of one attribute of one
/// collection, addressed by document key. Labels are assigned per key and
/// never reused: an update re-adds under the same label (hnswlib updates
/// the point in place and clears its deleted mark), a delete marks it.
/// Writes come from one thread (the search applier); searches from any.

#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vector/vector_math.hpp"

namespace themis::vector {

struct hit {
  std::string key;
  float distance = 0; ///< as vector::distance() reports it
};

class vector_index {
public:
  vector_index(size_t dimension, metric m, size_t M, size_t ef_construction,
               size_t ef_search, size_t max_elements);
  ~vector_index();
  vector_index(const vector_index&) = delete;
  vector_index& operator=(const vector_index&) = delete;

  /// Adds or replaces `key`'s vector (size must be the dimension). Returns
  /// "" or why it was refused (the index is full).
  std::string upsert(const std::string& key, std::span<const float> v);
  /// Removes `key` if present.
  void remove(const std::string& key);

  /// The `k` nearest live vectors, closest first. `ef` 0 uses ef_search.
  std::vector<hit> search(std::span<const float> q, size_t k) const;

  size_t live_count() const;
  size_t dimension() const { return dim_; }
  void set_ef_search(size_t ef);

  /// Writes the graph and the key table to `path` (+ ".keys"), via
  /// temporary files and rename, so a crash leaves the previous pair.
  void save(const std::string& path) const;
  /// Loads what save() wrote; false (and the index stays empty) if the
  /// files are missing, truncated or do not match the definition.
  bool load(const std::string& path);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  size_t dim_;
  metric metric_;
  size_t max_elements_;
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, size_t> labels_;
  std::vector<std::string> keys_; ///< label → key
  size_t live_ = 0;
};

} // namespace themis::vector
