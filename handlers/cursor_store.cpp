#include "handlers/cursor_store.hpp"

#include <algorithm>

#include <openssl/rand.h>
#include <stdexcept>

namespace themis {

std::string random_handle(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed: no handle without entropy");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

cursor_store::cursor_store(std::chrono::seconds ttl, size_t max_cursors) :
  ttl_(ttl), max_(max_cursors) {}

void cursor_store::sweep(clock::time_point now) {
  for (auto it = cursors_.begin(); it != cursors_.end();)
    if (now - it->second.last_used > ttl_)
      it = cursors_.erase(it);
    else
      ++it;
}

std::string cursor_store::add(const principal& owner,
                              std::vector<std::string> rows, size_t batch,
                              uint64_t total) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = clock::now();
  sweep(now);
  // Fair eviction: an owner past its share (an eighth of the store) loses
  // its own oldest cursor; a full store takes from the owner holding the
  // most. One tenant opening cursors in a loop never evicts another's.
  auto key = [](const cursor& c) {
    return c.owner_tenant + '\n' + c.owner_user;
  };
  auto mine = owner.tenant + '\n' + owner.user;
  auto evict_oldest_of = [&](const std::string& who) {
    auto oldest = cursors_.end();
    for (auto it = cursors_.begin(); it != cursors_.end(); ++it)
      if (key(it->second) == who &&
          (oldest == cursors_.end() ||
           it->second.last_used < oldest->second.last_used))
        oldest = it;
    if (oldest != cursors_.end())
      cursors_.erase(oldest);
  };
  std::unordered_map<std::string, size_t> held;
  for (auto& [_, c] : cursors_)
    ++held[key(c)];
  size_t share = std::max<size_t>(1, max_ / 8);
  if (held[mine] >= share)
    evict_oldest_of(mine), --held[mine];
  while (cursors_.size() >= max_ && !cursors_.empty()) {
    auto top = std::max_element(
      held.begin(), held.end(),
      [](const auto& a, const auto& b) { return a.second < b.second; });
    evict_oldest_of(top->first);
    --top->second;
  }
  // 128 random bits: one's own id says nothing about another's
  auto id = random_handle(16);
  cursors_[id] =
    cursor{std::move(rows), 0,           batch == 0 ? 1 : batch, total, now,
           owner.user,      owner.tenant};
  return id;
}

std::optional<cursor_batch> cursor_store::next(const std::string& id,
                                               const principal& who) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = clock::now();
  sweep(now);
  auto it = cursors_.find(id);
  // another owner's cursor is answered as missing: its id says nothing
  if (it == cursors_.end() ||
      !who.sees(it->second.owner_user, it->second.owner_tenant))
    return std::nullopt;
  auto& c = it->second;
  cursor_batch out;
  out.count = c.total;
  out.rows_json = "[";
  auto end = std::min(c.rows.size(), c.pos + c.batch);
  for (auto i = c.pos; i < end; ++i) {
    if (i > c.pos)
      out.rows_json.push_back(',');
    out.rows_json += c.rows[i];
  }
  out.rows_json.push_back(']');
  c.pos = end;
  c.last_used = now;
  out.has_more = c.pos < c.rows.size();
  if (!out.has_more)
    cursors_.erase(it);
  return out;
}

bool cursor_store::remove(const std::string& id, const principal& who) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto it = cursors_.find(id);
  if (it == cursors_.end() ||
      !who.sees(it->second.owner_user, it->second.owner_tenant))
    return false;
  cursors_.erase(it);
  return true;
}

size_t cursor_store::size() {
  std::lock_guard<std::mutex> guard(mtx_);
  sweep(clock::now());
  return cursors_.size();
}

} // namespace themis
