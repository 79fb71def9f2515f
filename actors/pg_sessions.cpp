#include "actors/pg_sessions.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sqlite3.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/sql/session_functions.hpp"
#include "handlers/change_filter.hpp"

namespace themis {

int64_t pg_sessions::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::shared_ptr<pg_backend_entry>
pg_sessions::add(int32_t pid, void* db, std::string remote, int wake_fd) {
  auto e = std::make_shared<pg_backend_entry>();
  e->pid = pid;
  e->db = db;
  e->wake_fd = wake_fd;
  // "[::1]:5433" or "127.0.0.1:5433"
  auto colon = remote.rfind(':');
  if (colon != std::string::npos) {
    e->client_port = std::atoi(remote.c_str() + colon + 1);
    remote.resize(colon);
  }
  if (remote.size() >= 2 && remote.front() == '[' && remote.back() == ']')
    remote = remote.substr(1, remote.size() - 2);
  e->client_addr = std::move(remote);
  e->backend_start_us = now_us();
  e->state_change_us = e->backend_start_us;
  if (db)
    // every 1000 VM steps: a cancel or terminate stops the statement even
    // if it started after the signal (sqlite3_interrupt alone would miss it)
    sqlite3_progress_handler(
      static_cast<sqlite3*>(db), 1000,
      [](void* p) {
        auto* entry = static_cast<pg_backend_entry*>(p);
        if (entry->cancel.load() || entry->terminate.load())
          return 1;
        auto d = entry->deadline_ns.load(std::memory_order_relaxed);
        if (d &&
            std::chrono::steady_clock::now().time_since_epoch().count() > d) {
          entry->timed_out = true;
          return 1;
        }
        return 0;
      },
      e.get());
  std::lock_guard<std::mutex> g(mtx_);
  backends_[pid] = e;
  return e;
}

void pg_sessions::remove(int32_t pid) {
  unlisten(pid, {}, {});
  std::shared_ptr<pg_backend_entry> e;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = backends_.find(pid);
    if (it == backends_.end())
      return;
    e = std::move(it->second);
    backends_.erase(it);
  }
  std::lock_guard<std::mutex> g(e->mtx);
  if (e->db)
    sqlite3_progress_handler(static_cast<sqlite3*>(e->db), 0, nullptr, nullptr);
  e->db = nullptr;
  e->wake_fd = -1; // its owner closes it next
  e->ready = false;
  e->queue.clear();
}

std::shared_ptr<pg_backend_entry> pg_sessions::find(int32_t pid) const {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = backends_.find(pid);
  return it == backends_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<pg_backend_entry>> pg_sessions::all() const {
  std::vector<std::shared_ptr<pg_backend_entry>> out;
  std::lock_guard<std::mutex> g(mtx_);
  out.reserve(backends_.size());
  for (auto& [pid, e] : backends_)
    out.push_back(e);
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a->pid < b->pid; });
  return out;
}

void pg_sessions::listen(int32_t pid, const std::string& tenant,
                         const std::string& channel) {
  std::lock_guard<std::mutex> g(mtx_);
  if (listens_[{tenant, channel}].insert(pid).second &&
      sql::is_change_channel(channel, nullptr))
    ++change_listens_;
}

void pg_sessions::unlisten(int32_t pid, const std::string& tenant,
                           const std::string& channel) {
  std::lock_guard<std::mutex> g(mtx_);
  for (auto it = listens_.begin(); it != listens_.end();) {
    bool match = channel.empty() ||
                 (it->first.first == tenant && it->first.second == channel);
    if (match && it->second.erase(pid) &&
        sql::is_change_channel(it->first.second, nullptr))
      --change_listens_;
    if (it->second.empty())
      it = listens_.erase(it);
    else
      ++it;
  }
}

void pg_sessions::notify(
  int32_t from, const std::string& tenant,
  const std::vector<std::pair<std::string, std::string>>& notes) {
  std::lock_guard<std::mutex> g(mtx_);
  for (auto& [channel, payload] : notes) {
    auto it = listens_.find({tenant, channel});
    if (it == listens_.end())
      continue;
    for (auto pid : it->second)
      if (auto b = backends_.find(pid); b != backends_.end())
        enqueue(*b->second, {from, channel, payload});
  }
}

void pg_sessions::publish_changes(const published_events& ev) {
  if (!has_change_listeners())
    return;
  std::lock_guard<std::mutex> g(mtx_);
  for (auto& [key, pids] : listens_) {
    std::string coll;
    if (!sql::is_change_channel(key.second, &coll))
      continue;
    for (auto pid : pids) {
      auto b = backends_.find(pid);
      if (b == backends_.end())
        continue;
      auto& e = *b->second;
      change_filter f;
      if (!coll.empty())
        f.collections = {coll};
      f.tenant = key.first;
      {
        std::lock_guard<std::mutex> ge(e.mtx);
        // a global admin's "themis_changes" hears every tenant too (as on
        // the HTTP changefeed); anybody else its own namespace only
        f.all_tenants = key.first.empty() && e.admin;
      }
      for (size_t i = 0; i < ev.events.size(); ++i) {
        auto& ce = ev.events[i];
        if (is_marker(ce) || !f.matches(ce))
          continue;
        auto payload = f.render(ce, &ev.json()[i]);
        if (payload.size() >= 8000) { // PostgreSQL's payload limit
          f.include_docs = false;
          payload = f.render(ce, &ev.json_nodoc()[i]);
          f.include_docs = true;
        }
        enqueue(e, {0, key.second, std::move(payload)});
      }
    }
  }
}

void pg_sessions::enqueue(pg_backend_entry& e, pg_notification n) {
  {
    std::lock_guard<std::mutex> g(e.mtx);
    auto size = n.channel.size() + n.payload.size() + 16;
    if (e.queued_bytes + size > max_queued_bytes) {
      ++e.dropped;
      return;
    }
    e.queued_bytes += size;
    e.queue.push_back(std::move(n));
    wake(e);
  }
}

void pg_sessions::wake(const pg_backend_entry& e) {
  if (e.wake_fd < 0)
    return;
  uint64_t one = 1;
  auto r = ::write(e.wake_fd, &one, sizeof one);
  (void)r; // a full counter is still a wake-up
}

void pg_sessions::cancel(pg_backend_entry& e) {
  std::lock_guard<std::mutex> g(e.mtx);
  if (e.state != "active")
    return; // PostgreSQL: a cancel reaches only a running statement
  e.cancel = true;
  if (e.db)
    sqlite3_interrupt(static_cast<sqlite3*>(e.db));
}

bool pg_sessions::cancel(int32_t pid) {
  auto e = find(pid);
  if (!e)
    return false;
  cancel(*e);
  return true;
}

void pg_sessions::terminate(pg_backend_entry& e) {
  std::lock_guard<std::mutex> g(e.mtx);
  e.terminate = true;
  if (e.db)
    sqlite3_interrupt(static_cast<sqlite3*>(e.db));
  wake(e);
}

} // namespace themis
