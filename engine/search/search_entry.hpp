#pragma once
/// One index's live state inside search_service (private to
/// engine/search/search_*.cpp).

#include <atomic>
#include <memory>
#include <string>

#include "engine/search/search_service.hpp"

namespace themis::search {

inline constexpr int entry_building = 0;
inline constexpr int entry_ready = 1;
inline constexpr int entry_failed = 2;

struct search_service::entry {
  index_def def;
  std::atomic<uint64_t> applied{0};
  std::atomic<int> state{entry_building};
  std::atomic<uint64_t> built{0}, total{0}, skipped{0}, entries{0};
  std::atomic<bool> dropped{false};
  /// Swapped under search_service::mtx_ (a rebuild makes a new one);
  /// searches keep the one they took.
  std::shared_ptr<vector::vector_index> vec;
  std::string error; ///< under mtx_
  // applier thread only
  uint64_t saved_seq = 0;
  bool dirty = false;
};

inline std::shared_ptr<vector::vector_index> make_vector(const index_def& d) {
  return std::make_shared<vector::vector_index>(
    d.dimension, d.metric, d.m, d.ef_construction, d.ef_search, d.max_elements);
}

} // namespace themis::search
