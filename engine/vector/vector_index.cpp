#include "engine/vector/vector_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <hnswlib/hnswlib.h>

namespace themis::vector {

namespace {

/// Capacity grows by doubling from here up to max_elements: hnswlib
/// allocates its whole capacity up front, so an empty index costs about
/// 4 MiB of vectors at most (1024 slots, fewer for wide vectors).
size_t initial_capacity(size_t dim) {
  return std::clamp<size_t>((size_t{1} << 20) / std::max<size_t>(dim, 1), 16,
                            1024);
}

} // namespace

struct vector_index::impl {
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
  size_t m, ef_construction, ef_search;
};

vector_index::vector_index(size_t dimension, metric m, size_t M,
                           size_t ef_construction, size_t ef_search,
                           size_t max_elements) :
  impl_(std::make_unique<impl>()),
  dim_(dimension), metric_(m), max_elements_(max_elements) {
  if (m == metric::l2)
    impl_->space = std::make_unique<hnswlib::L2Space>(dimension);
  else // cosine runs as inner product over unit vectors
    impl_->space = std::make_unique<hnswlib::InnerProductSpace>(dimension);
  impl_->m = M;
  impl_->ef_construction = ef_construction;
  impl_->ef_search = ef_search;
  impl_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
    impl_->space.get(), std::min(initial_capacity(dimension), max_elements), M,
    ef_construction);
  impl_->hnsw->setEf(ef_search);
}

vector_index::~vector_index() = default;

std::string vector_index::upsert(const std::string& key,
                                 std::span<const float> v) {
  std::vector<float> data(v.begin(), v.end());
  if (metric_ == metric::cosine)
    normalize(data);
  std::unique_lock lock(mtx_);
  auto it = labels_.find(key);
  size_t label;
  bool was_live = false;
  if (it != labels_.end()) {
    label = it->second;
    try {
      impl_->hnsw->getDataByLabel<float>(label); // throws when deleted
      was_live = true;
    } catch (const std::exception&) {
    }
  } else {
    label = keys_.size();
    if (label >= max_elements_)
      return "the index holds its limit of " + std::to_string(max_elements_) +
             " vectors (max_elements)";
    auto& h = *impl_->hnsw;
    if (h.cur_element_count >= h.max_elements_)
      h.resizeIndex(std::min(max_elements_, h.max_elements_ * 2));
    keys_.push_back(key);
    labels_.emplace(key, label);
  }
  impl_->hnsw->addPoint(data.data(), label);
  if (!was_live)
    ++live_;
  return {};
}

void vector_index::remove(const std::string& key) {
  std::unique_lock lock(mtx_);
  auto it = labels_.find(key);
  if (it == labels_.end())
    return;
  try {
    impl_->hnsw->markDelete(it->second);
    --live_;
  } catch (const std::exception&) {
    // already deleted
  }
}

std::vector<hit> vector_index::search(std::span<const float> q,
                                      size_t k) const {
  std::vector<float> query(q.begin(), q.end());
  if (metric_ == metric::cosine)
    normalize(query);
  std::shared_lock lock(mtx_);
  std::vector<hit> out;
  if (live_ == 0 || k == 0)
    return out;
  auto pq = impl_->hnsw->searchKnn(query.data(), std::min(k, live_));
  out.resize(pq.size());
  for (size_t i = pq.size(); i-- > 0;) {
    auto [d, label] = pq.top();
    pq.pop();
    float dist = d;
    if (metric_ == metric::l2)
      dist = std::sqrt(std::max(0.0f, d)); // hnswlib's L2 is squared
    else if (metric_ == metric::inner_product)
      dist = d - 1.0f; // hnswlib: 1 - dot; ours: -dot
    // cosine: hnswlib's 1 - dot of unit vectors is ours already
    out[i] = {keys_[label], dist};
  }
  return out;
}

size_t vector_index::live_count() const {
  std::shared_lock lock(mtx_);
  return live_;
}

void vector_index::set_ef_search(size_t ef) {
  std::unique_lock lock(mtx_);
  impl_->ef_search = ef;
  impl_->hnsw->setEf(ef);
}

void vector_index::save(const std::string& path) const {
  std::shared_lock lock(mtx_);
  auto tmp = path + ".tmp";
  impl_->hnsw->saveIndex(tmp);
  {
    std::ofstream out(path + ".keys.tmp", std::ios::binary | std::ios::trunc);
    uint64_t n = keys_.size(), live = live_, dim = dim_;
    out.write(reinterpret_cast<const char*>(&dim), sizeof dim);
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(reinterpret_cast<const char*>(&live), sizeof live);
    for (auto& k : keys_) {
      uint32_t len = static_cast<uint32_t>(k.size());
      out.write(reinterpret_cast<const char*>(&len), sizeof len);
      out.write(k.data(), len);
    }
    out.flush();
    if (!out)
      throw std::runtime_error("cannot write " + path + ".keys.tmp");
  }
  std::filesystem::rename(tmp, path);
  std::filesystem::rename(path + ".keys.tmp", path + ".keys");
}

bool vector_index::load(const std::string& path) {
  std::unique_lock lock(mtx_);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) ||
      !std::filesystem::exists(path + ".keys", ec))
    return false;
  std::ifstream in(path + ".keys", std::ios::binary);
  uint64_t dim = 0, n = 0, live = 0;
  in.read(reinterpret_cast<char*>(&dim), sizeof dim);
  in.read(reinterpret_cast<char*>(&n), sizeof n);
  in.read(reinterpret_cast<char*>(&live), sizeof live);
  if (!in || dim != dim_ || n > max_elements_ || live > n)
    return false;
  std::vector<std::string> keys;
  std::unordered_map<std::string, size_t> labels;
  keys.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    in.read(reinterpret_cast<char*>(&len), sizeof len);
    if (!in || len > (1u << 20))
      return false;
    std::string k(len, '\0');
    in.read(k.data(), len);
    if (!in)
      return false;
    labels.emplace(k, i);
    keys.push_back(std::move(k));
  }
  try {
    auto h = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      impl_->space.get(), path, false,
      std::max<size_t>(n, std::min(initial_capacity(dim_), max_elements_)));
    if (h->cur_element_count != n)
      return false;
    h->setEf(impl_->ef_search);
    impl_->hnsw = std::move(h);
  } catch (const std::exception&) {
    return false;
  }
  keys_ = std::move(keys);
  labels_ = std::move(labels);
  live_ = live;
  return true;
}

} // namespace themis::vector
