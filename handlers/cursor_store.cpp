#include "handlers/cursor_store.hpp"

#include <random>

namespace themis {

cursor_store::cursor_store(std::chrono::seconds ttl, size_t max_cursors) :
  ttl_(ttl), max_(max_cursors) {
  salt_ = std::random_device{}();
  salt_ = (salt_ << 32) ^ std::random_device{}();
}

void cursor_store::sweep(clock::time_point now) {
  for (auto it = cursors_.begin(); it != cursors_.end();)
    if (now - it->second.last_used > ttl_)
      it = cursors_.erase(it);
    else
      ++it;
}

std::string cursor_store::add(std::vector<std::string> rows, size_t batch,
                              uint64_t total) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = clock::now();
  sweep(now);
  while (cursors_.size() >= max_ && !cursors_.empty()) {
    auto oldest = cursors_.begin();
    for (auto it = cursors_.begin(); it != cursors_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used)
        oldest = it;
    cursors_.erase(oldest);
  }
  // Ids are not guessable: a counter mixed with a per-process salt.
  auto n = next_id_++;
  auto id = std::to_string(n) + "-" +
            std::to_string((n * 0x9E3779B97F4A7C15ull) ^ salt_);
  cursors_[id] = cursor{std::move(rows), 0, batch == 0 ? 1 : batch, total, now};
  return id;
}

std::optional<cursor_batch> cursor_store::next(const std::string& id) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = clock::now();
  sweep(now);
  auto it = cursors_.find(id);
  if (it == cursors_.end())
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

bool cursor_store::remove(const std::string& id) {
  std::lock_guard<std::mutex> guard(mtx_);
  return cursors_.erase(id) > 0;
}

size_t cursor_store::size() {
  std::lock_guard<std::mutex> guard(mtx_);
  sweep(clock::now());
  return cursors_.size();
}

} // namespace themis
