#include "gateway/body_pipe.hpp"

#include <utility>

namespace themis::gateway {

void body_pipe::set_resume(std::function<void()> f) {
  std::lock_guard<std::mutex> g(m_);
  resume_ = std::move(f);
}

void body_pipe::set_notify(std::function<void()> f) {
  std::lock_guard<std::mutex> g(m_);
  notify_ = std::move(f);
}

void body_pipe::notify_locked(std::unique_lock<std::mutex>& g) {
  if (notified_ || !notify_) {
    g.unlock();
    return;
  }
  notified_ = true;
  auto f = notify_; // (a copy: set_notify may run meanwhile)
  g.unlock();
  f();
}

bool body_pipe::push(std::string_view bytes) {
  std::unique_lock<std::mutex> g(m_);
  if (cancelled_ || done_)
    return false;
  if (!bytes.empty()) {
    buf_.append(bytes);
    total_ += bytes.size();
  }
  bool more = buf_.size() < window_;
  paused_ = !more;
  if (buf_.empty()) {
    g.unlock();
    return more;
  }
  notify_locked(g);
  return more;
}

void body_pipe::finish() {
  std::unique_lock<std::mutex> g(m_);
  if (done_)
    return;
  done_ = true;
  resume_ = nullptr; // (it may hold the producer's connection)
  notify_locked(g);
}

void body_pipe::fail(std::string why) {
  std::unique_lock<std::mutex> g(m_);
  if (done_)
    return;
  done_ = failed_ = true;
  error_ = std::move(why);
  resume_ = nullptr;
  notify_locked(g);
}

bool body_pipe::cancelled() const {
  std::lock_guard<std::mutex> g(m_);
  return cancelled_;
}

body_pipe::piece body_pipe::take() {
  std::unique_lock<std::mutex> g(m_);
  piece p;
  p.bytes.swap(buf_);
  p.end = done_;
  p.failed = failed_;
  if (failed_)
    p.error = error_;
  notified_ = false;
  if (!paused_ || done_)
    return p;
  paused_ = false;
  auto f = resume_;
  g.unlock();
  if (f)
    f();
  return p;
}

void body_pipe::cancel() {
  std::unique_lock<std::mutex> g(m_);
  if (cancelled_)
    return;
  cancelled_ = true;
  notify_ = nullptr; // (it names the consumer, which is going away)
  buf_.clear();
  bool wake = !done_; // paused or mid-read: either way it must stop
  paused_ = false;
  auto f = std::move(resume_);
  resume_ = nullptr;
  g.unlock();
  if (wake && f)
    f(); // the producer learns it and drops its connection
}

size_t body_pipe::buffered() const {
  std::lock_guard<std::mutex> g(m_);
  return buf_.size();
}

uint64_t body_pipe::total() const {
  std::lock_guard<std::mutex> g(m_);
  return total_;
}

} // namespace themis::gateway
