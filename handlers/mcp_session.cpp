#include "handlers/mcp_session.hpp"

#include <random>

namespace themis::mcp {

using steady = std::chrono::steady_clock;

session::session(std::string id, principal who, std::string version) :
  id_(std::move(id)), who_(std::move(who)), version_(std::move(version)),
  last_used_(steady::now()) {}

bool session::bound_to(const principal& p) const {
  return p.via == who_.via && p.user == who_.user && p.tenant == who_.tenant &&
         p.key_id == who_.key_id;
}

void session::touch() {
  std::lock_guard<std::mutex> g(mtx_);
  last_used_ = steady::now();
}

steady::time_point session::last_used() const {
  std::lock_guard<std::mutex> g(mtx_);
  return last_used_;
}

bool session::subscribe(const std::string& stored, const std::string& key,
                        size_t max) {
  std::lock_guard<std::mutex> g(mtx_);
  if (subs_.count({stored, key}))
    return true;
  if (subs_.size() >= max)
    return false;
  subs_.emplace(stored, key);
  return true;
}

void session::unsubscribe(const std::string& stored, const std::string& key) {
  std::lock_guard<std::mutex> g(mtx_);
  subs_.erase({stored, key});
}

int session::watches(const std::string& stored, const std::string& key) const {
  std::lock_guard<std::mutex> g(mtx_);
  int r = 0;
  if (subs_.count({stored, key}))
    r |= 1;
  if (subs_.count({stored, std::string()}))
    r |= 2;
  return r;
}

size_t session::subscriptions() const {
  std::lock_guard<std::mutex> g(mtx_);
  return subs_.size();
}

std::shared_ptr<call_handle> session::begin_call(const std::string& id) {
  auto c = std::make_shared<call_handle>();
  std::lock_guard<std::mutex> g(mtx_);
  calls_[id] = c; // a reused id replaces the older call's handle
  return c;
}

void session::end_call(const std::string& id) {
  std::lock_guard<std::mutex> g(mtx_);
  calls_.erase(id);
}

std::shared_ptr<call_handle> session::find_call(const std::string& id) const {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second;
}

void session::set_job(const std::shared_ptr<call_handle>& c,
                      std::string job_id) {
  std::lock_guard<std::mutex> g(mtx_);
  c->job_id = std::move(job_id);
}

std::string session::job_of(const std::shared_ptr<call_handle>& c) const {
  std::lock_guard<std::mutex> g(mtx_);
  return c->job_id;
}

void session::set_query(const std::shared_ptr<call_handle>& c,
                        std::shared_ptr<aql::run_progress> q) {
  std::lock_guard<std::mutex> g(mtx_);
  c->query = std::move(q);
}

std::shared_ptr<aql::run_progress>
session::query_of(const std::shared_ptr<call_handle>& c) const {
  std::lock_guard<std::mutex> g(mtx_);
  return c->query;
}

session_store& session_store::instance() {
  static session_store s;
  return s;
}

void session_store::sweep(steady::time_point now, std::chrono::seconds idle) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second->closed() || now - it->second->last_used() > idle) {
      it->second->close(); // its GET streams end at their next tick
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<session> session_store::create(const principal& who,
                                               const std::string& version,
                                               size_t max_total,
                                               size_t max_per_principal,
                                               std::chrono::seconds idle) {
  std::lock_guard<std::mutex> g(mtx_);
  auto now = steady::now();
  if (sessions_.size() >= max_total)
    sweep(now, idle);
  if (sessions_.size() >= max_total)
    return nullptr;
  size_t mine = 0;
  for (auto& [_, s] : sessions_)
    if (s->bound_to(who) && now - s->last_used() <= idle &&
        ++mine >= max_per_principal)
      return nullptr;
  auto s = std::make_shared<session>(random_id(), who, version);
  sessions_[s->id()] = s;
  return s;
}

std::shared_ptr<session> session_store::find(const std::string& id,
                                             const principal& who,
                                             std::chrono::seconds idle) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return nullptr;
  auto s = it->second;
  if (s->closed() || steady::now() - s->last_used() > idle) {
    s->close();
    sessions_.erase(it);
    return nullptr;
  }
  if (!s->bound_to(who))
    return nullptr; // indistinguishable from an unknown id
  s->touch();
  return s;
}

bool session_store::remove(const std::string& id, const principal& who) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second->bound_to(who))
    return false;
  it->second->close();
  sessions_.erase(it);
  return true;
}

size_t session_store::size() const {
  std::lock_guard<std::mutex> g(mtx_);
  return sessions_.size();
}

std::string random_id() {
  // std::random_device reads the kernel's CSPRNG (getrandom) on Linux
  thread_local std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (int i = 0; i < 8; ++i) {
    uint32_t v = rd();
    for (int b = 0; b < 8; ++b)
      out.push_back(hex[(v >> (b * 4)) & 15]);
  }
  return out;
}

} // namespace themis::mcp
