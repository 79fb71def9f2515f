#pragma once
/// The node's own buckets while Redis is unreachable or too slow (issue
/// 25): each rule's limit is divided by the node count (`nodes_hint`,
/// rounded up, at least 1), so N nodes together stay near the
/// cluster-wide limit. Bounded: past `max_keys` the table starts afresh
/// (a forgotten client gets a full bucket: lenient, never wrong the other
/// way). Pure and single-threaded (the Redis link's thread owns it).

#include <string>
#include <unordered_map>

#include "limits/limit_wire.hpp"

namespace themis::cluster {

/// `spec` for one of `nodes` nodes: limit and burst divided, rounded up.
limits::limit_spec per_node(const limits::limit_spec& spec, uint32_t nodes);

class fallback_buckets {
public:
  fallback_buckets(uint32_t nodes, size_t max_keys) :
    nodes_(nodes ? nodes : 1), max_keys_(max_keys ? max_keys : 1) {}

  limits::decision take(const limits::limit_item& item, int64_t now_ns);
  void set_nodes(uint32_t nodes) { nodes_ = nodes ? nodes : 1; }
  size_t size() const { return table_.size(); }

private:
  uint32_t nodes_;
  size_t max_keys_;
  std::unordered_map<std::string, limits::bucket_state> table_;
};

} // namespace themis::cluster
