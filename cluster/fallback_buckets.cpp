#include "cluster/fallback_buckets.hpp"

namespace themis::cluster {

limits::limit_spec per_node(const limits::limit_spec& spec, uint32_t nodes) {
  if (nodes <= 1)
    return spec;
  auto div = [nodes](uint64_t v) {
    return v == 0 ? 0 : (v + nodes - 1) / nodes;
  };
  limits::limit_spec out = spec;
  out.limit = div(spec.limit);
  out.burst = div(spec.burst);
  return out;
}

limits::decision fallback_buckets::take(const limits::limit_item& item,
                                        int64_t now_ns) {
  auto spec = per_node(item.spec, nodes_);
  auto key = std::to_string(static_cast<int>(item.algo)) + ':' + item.key;
  auto it = table_.find(key);
  if (it == table_.end()) {
    if (table_.size() >= max_keys_)
      table_.clear();
    it = table_.emplace(std::move(key), limits::bucket_state{}).first;
  }
  auto d = limits::take(item.algo, spec, it->second, now_ns);
  d.limit = item.spec.limit; // headers keep naming the cluster-wide rule
  return d;
}

} // namespace themis::cluster
