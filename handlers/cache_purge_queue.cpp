#include "handlers/cache_purge_queue.hpp"

#include "handlers/cache_middleware.hpp"

namespace themis {

void cache_purge_queue::add_events(
  const std::vector<engine::change_event>& events) {
  for (auto& e : events) {
    if (e.is_marker())
      continue;
    // the engine's name is "tenant.collection" or a plain global name
    std::string_view phys = e.collection, tenant;
    if (auto dot = phys.find('.'); dot != std::string_view::npos) {
      tenant = phys.substr(0, dot);
      phys.remove_prefix(dot + 1);
    }
    add(document_surrogate_key(tenant, phys, e.key));
    add(collection_surrogate_key(tenant, phys));
  }
}

void cache_purge_queue::add(std::string key) {
  if (overflow_) {
    ++dropped_;
    return;
  }
  if (keys_.count(key))
    return;
  if (bytes_ + key.size() + 1 > max_bytes_) {
    // from here on only "everything" is correct
    dropped_ += keys_.size() + 1;
    ++overflows_;
    keys_.clear();
    order_.clear();
    bytes_ = 0;
    overflow_ = true;
    return;
  }
  bytes_ += key.size() + 1;
  keys_.insert(key);
  order_.push_back(std::move(key));
}

std::vector<std::string> cache_purge_queue::take() {
  std::vector<std::string> out;
  if (overflow_) {
    out.emplace_back(all_surrogate_key);
  } else {
    std::string cur;
    for (auto& k : order_) {
      if (!cur.empty() && cur.size() + 1 + k.size() > max_header_bytes_) {
        out.push_back(std::move(cur));
        cur.clear();
      }
      if (!cur.empty())
        cur += ' ';
      cur += k;
    }
    if (!cur.empty())
      out.push_back(std::move(cur));
  }
  keys_.clear();
  order_.clear();
  bytes_ = 0;
  overflow_ = false;
  return out;
}

} // namespace themis
