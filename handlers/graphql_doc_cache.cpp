#include "handlers/graphql_doc_cache.hpp"

namespace themis::gql {

doc_cache& doc_cache::shared() {
  static doc_cache c;
  return c;
}

std::string doc_cache::key(const std::string& tenant, std::uint64_t epoch,
                           const std::string& limits, const std::string& text) {
  // length-prefixed parts: no tenant or limits text can forge another key
  std::string k;
  k.reserve(tenant.size() + limits.size() + text.size() + 48);
  k += std::to_string(tenant.size());
  k += ':';
  k += tenant;
  k += std::to_string(epoch);
  k += ':';
  k += std::to_string(limits.size());
  k += ':';
  k += limits;
  k += text;
  return k;
}

cached_document doc_cache::find(const std::string& key) {
  std::lock_guard g(mtx_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->doc;
}

void doc_cache::put(const std::string& key, std::size_t text_bytes,
                    cached_document doc) {
  if (text_bytes > max_entry_bytes || !doc)
    return;
  std::lock_guard g(mtx_);
  if (index_.count(key))
    return;
  while (!lru_.empty() &&
         (lru_.size() >= max_entries || bytes_ + text_bytes > max_text_bytes)) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front({key, text_bytes, std::move(doc)});
  index_.emplace(key, lru_.begin());
  bytes_ += text_bytes;
}

std::size_t doc_cache::size() const {
  std::lock_guard g(mtx_);
  return lru_.size();
}
std::size_t doc_cache::hits() const {
  std::lock_guard g(mtx_);
  return hits_;
}
std::size_t doc_cache::misses() const {
  std::lock_guard g(mtx_);
  return misses_;
}

namespace {

bool reads_variables(const graphql::selection_set& ss) {
  for (const auto& sel : ss.items) {
    for (const auto& a : sel.args)
      if ((a.name == "first" || a.name == "last" || a.name == "limit") &&
          a.val.kind == graphql::value_kind::variable)
        return true;
    if (reads_variables(sel.selections))
      return true;
  }
  return false;
}

} // namespace

bool validation_reads_variables(const graphql::document& doc) {
  for (const auto& op : doc.operations)
    if (reads_variables(op.selections))
      return true;
  for (const auto& f : doc.fragments)
    if (reads_variables(f.selections))
      return true;
  return false;
}

} // namespace themis::gql
