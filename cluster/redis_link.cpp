#include "cluster/redis_link.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "cluster/redis_reply.hpp"
#include "cluster/redis_scripts.hpp"

namespace themis::cluster {

namespace {

int64_t steady_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

constexpr int64_t max_backoff_ns = 2'000'000'000;
constexpr int timeouts_to_down = 3;

} // namespace

struct redis_link::request {
  std::vector<limits::limit_item> items;
  std::vector<limits::limit_answer> answers;
  std::vector<bool> answered;
  size_t outstanding = 0;
  int64_t deadline_ns = 0;
  done_fn done;
  bool finished = false;
};

/// hiredis privdata of one EVAL(SHA): freed by the callback, which hiredis
/// calls exactly once (with a null reply when the connection goes away).
struct redis_link::slot {
  redis_link* link;
  std::shared_ptr<request> req;
  size_t index;
  bool eval;
};

/// privdata of a handshake command: 0 AUTH/SELECT, 1/2 the SCRIPT LOADs.
struct handshake_slot {
  redis_link* link;
  int kind;
};

redis_link::redis_link(config cfg) :
  cfg_(std::move(cfg)), local_(cfg_.nodes_hint, cfg_.max_local_keys) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

redis_link::~redis_link() {
  stop();
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

void redis_link::start() {
  if (!thread_.joinable())
    thread_ = std::thread([this] { run(); });
}

void redis_link::stop() {
  if (stop_.exchange(true) || !thread_.joinable()) {
    if (thread_.joinable())
      thread_.join();
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void redis_link::submit(std::vector<limits::limit_item> items, done_fn done) {
  auto r = std::make_shared<request>();
  r->answers.resize(items.size());
  r->answered.assign(items.size(), false);
  r->outstanding = items.size();
  r->items = std::move(items);
  r->done = std::move(done);
  // Bounded: a node whose link thread is this far behind is overloaded;
  // it refuses (429) rather than queue without end or admit unchecked.
  bool stopping = stop_.load();
  if (stopping || queued_.load() >= cfg_.max_pending) {
    for (auto& a : r->answers) { // (stopping: the server is going away)
      a.d.allowed = stopping;
      a.d.retry_after_ns = stopping ? 0 : 1'000'000'000;
    }
    for (size_t i = 0; i < r->items.size(); ++i)
      r->answers[i].d.limit = r->items[i].spec.limit;
    r->done(std::move(r->answers));
    return;
  }
  ++queued_;
  bool wake;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (closed_) { // the thread has gone: nobody would answer
      --queued_;
      r->answers.assign(r->items.size(), limits::limit_answer{});
      r->done(std::move(r->answers));
      return;
    }
    wake = incoming_.empty();
    incoming_.push_back(std::move(r));
  }
  if (wake) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void redis_link::finish_if_done(request& r) {
  if (r.outstanding != 0 || r.finished)
    return;
  r.finished = true;
  --queued_;
  r.done(std::move(r.answers));
}

void redis_link::answer_local(request& r, size_t i, int64_t now) {
  if (r.answered[i])
    return;
  auto live = live_nodes_.load(std::memory_order_relaxed);
  local_.set_nodes(live ? live : cfg_.nodes_hint);
  r.answers[i] = {local_.take(r.items[i], now), false};
  r.answered[i] = true;
  --r.outstanding;
  ++local_decisions;
  finish_if_done(r);
}

void redis_link::dispatch(std::shared_ptr<request> r, int64_t now) {
  if (state_.load() != link_state::up || !ac_) {
    for (size_t i = 0; i < r->items.size(); ++i)
      answer_local(*r, i, now);
    return;
  }
  r->deadline_ns = now + cfg_.timeout_ns;
  inflight_.push_back(r);
  for (size_t i = 0; i < r->items.size(); ++i)
    send_item(r, i, false);
}

void redis_link::send_item(const std::shared_ptr<request>& r, size_t i,
                           bool eval) {
  auto& it = r->items[i];
  auto sha_index = it.algo == limits::algorithm::sliding_window_counter;
  if (!redis_supports(it.algo) || !ac_) {
    answer_local(*r, i, steady_now());
    return;
  }
  eval = eval || sha_[sha_index].empty();
  auto key = bucket_key(cfg_.key_prefix, it.algo, it.key);
  auto limit = std::to_string(it.spec.limit);
  auto window = std::to_string(std::max<int64_t>(1, it.spec.window_ns / 1000));
  auto cap = std::to_string(it.spec.capacity());
  const std::string& code = eval ? script_for(it.algo) : sha_[sha_index];
  const char* argv[7] = {eval ? "EVAL" : "EVALSHA",
                         code.data(),
                         "1",
                         key.data(),
                         limit.data(),
                         window.data(),
                         cap.data()};
  size_t lens[7] = {eval ? 4u : 7u, code.size(),   1,         key.size(),
                    limit.size(),   window.size(), cap.size()};
  int argc = it.algo == limits::algorithm::sliding_window_counter ? 6 : 7;
  auto* s = new slot{this, r, i, eval};
  if (redisAsyncCommandArgv(ac_, &redis_link::on_reply, s, argc, argv, lens) !=
      REDIS_OK) {
    delete s;
    answer_local(*r, i, steady_now());
  }
}

void redis_link::on_reply(redisAsyncContext*, void* reply, void* priv) {
  std::unique_ptr<slot> s(static_cast<slot*>(priv));
  auto* self = s->link;
  auto& r = *s->req;
  if (r.answered[s->index])
    return; // timed out: already decided locally
  limits::decision d;
  std::string why;
  auto st = parse_decision(static_cast<redisReply*>(reply),
                           r.items[s->index].spec.limit, d, &why);
  if (st == reply_status::ok) {
    self->consecutive_timeouts_ = 0;
    r.answers[s->index] = {d, true};
    r.answered[s->index] = true;
    --r.outstanding;
    ++self->redis_decisions;
    self->finish_if_done(r);
    return;
  }
  if (st == reply_status::no_script && !s->eval && self->ac_) {
    // the server lost the script (restart, SCRIPT FLUSH): EVAL sends the
    // text and caches it again; the handshake's SHA stays valid after
    self->send_item(s->req, s->index, true);
    return;
  }
  if (st != reply_status::missing) {
    if (self->errors++ == 0 || self->errors.load() % 1000 == 0)
      spdlog::warn("rate limiter: Redis answered a bucket script with: {} "
                   "(decided locally; {} such answers so far)",
                   why, self->errors.load());
  }
  self->answer_local(r, s->index, steady_now());
}

void redis_link::expire(int64_t now) {
  while (!inflight_.empty()) {
    auto& r = *inflight_.front();
    if (!r.finished) {
      if (r.deadline_ns > now)
        break;
      for (size_t i = 0; i < r.items.size(); ++i)
        answer_local(r, i, now);
      ++timeouts;
      ++consecutive_timeouts_;
    }
    inflight_.pop_front();
  }
  if (consecutive_timeouts_ >= timeouts_to_down &&
      state_.load() == link_state::up)
    go_down(std::to_string(timeouts_to_down) +
              " decisions in a row took longer than " +
              std::to_string(cfg_.timeout_ns / 1'000'000) + " ms",
            now);
}

void redis_link::connect(int64_t now) {
  if (cfg_.urls.empty())
    return;
  auto& url = cfg_.urls[url_index_++ % cfg_.urls.size()];
  ++connects;
  ac_ = redisAsyncConnect(url.host.c_str(), url.port);
  if (!ac_ || ac_->err) {
    std::string why = ac_ ? ac_->errstr : "out of memory";
    if (ac_)
      redisAsyncFree(ac_);
    ac_ = nullptr;
    go_down("connect failed: " + why, now);
    return;
  }
  ac_->data = this;
  ac_->ev.data = this;
  ac_->ev.addRead = [](void* p) {
    static_cast<redis_link*>(p)->want_read_ = true;
  };
  ac_->ev.delRead = [](void* p) {
    static_cast<redis_link*>(p)->want_read_ = false;
  };
  ac_->ev.addWrite = [](void* p) {
    static_cast<redis_link*>(p)->want_write_ = true;
  };
  ac_->ev.delWrite = [](void* p) {
    static_cast<redis_link*>(p)->want_write_ = false;
  };
  ac_->ev.cleanup = [](void* p) {
    auto* l = static_cast<redis_link*>(p);
    l->want_read_ = l->want_write_ = false;
  };
  want_write_ = true; // the non-blocking connect completes as writable
  redisAsyncSetConnectCallback(ac_, &redis_link::on_connect);
  redisAsyncSetDisconnectCallback(ac_, &redis_link::on_disconnect);
  state_ = link_state::connecting;
  handshake_deadline_ns_ =
    now + std::max<int64_t>(1'000'000'000, 10 * cfg_.timeout_ns);
  if (!url.password.empty()) {
    auto* hs = new handshake_slot{this, 0};
    int rc =
      url.user.empty()
        ? redisAsyncCommand(ac_, &redis_link::on_handshake, hs, "AUTH %b",
                            url.password.data(), url.password.size())
        : redisAsyncCommand(ac_, &redis_link::on_handshake, hs, "AUTH %b %b",
                            url.user.data(), url.user.size(),
                            url.password.data(), url.password.size());
    if (rc != REDIS_OK)
      delete hs;
  }
  if (url.db != 0) {
    auto* hs = new handshake_slot{this, 0};
    if (redisAsyncCommand(ac_, &redis_link::on_handshake, hs, "SELECT %u",
                          url.db) != REDIS_OK)
      delete hs;
  }
  handshake_left_ = 2;
  for (int k = 1; k <= 2; ++k) {
    auto& text = k == 1 ? token_bucket_script() : sliding_window_script();
    auto* hs = new handshake_slot{this, k};
    if (redisAsyncCommand(ac_, &redis_link::on_handshake, hs, "SCRIPT LOAD %b",
                          text.data(), text.size()) != REDIS_OK)
      delete hs;
  }
}

void redis_link::on_handshake(redisAsyncContext*, void* reply, void* priv) {
  std::unique_ptr<handshake_slot> hs(static_cast<handshake_slot*>(priv));
  auto* self = hs->link;
  auto* r = static_cast<redisReply*>(reply);
  if (!r)
    return; // the connection went away: on_disconnect says why
  if (hs->kind == 0) {
    if (r->type == REDIS_REPLY_ERROR) {
      self->drop_ = true;
      self->drop_why_ = "refused AUTH/SELECT: " + std::string(r->str, r->len);
    }
    return;
  }
  if (!parse_script_sha(r, self->sha_[hs->kind - 1])) {
    self->drop_ = true;
    self->drop_why_ =
      "refused SCRIPT LOAD" + (r->type == REDIS_REPLY_ERROR
                                 ? ": " + std::string(r->str, r->len)
                                 : std::string());
    return;
  }
  if (--self->handshake_left_ == 0 && !self->drop_)
    self->became_up();
}

void redis_link::became_up() {
  state_ = link_state::up;
  consecutive_timeouts_ = 0;
  backoff_ns_ = 100'000'000;
  auto& url = cfg_.urls[(url_index_ - 1) % cfg_.urls.size()];
  if (warned_)
    spdlog::info("rate limiter: Redis {} is back; limits are cluster-wide "
                 "again",
                 url.display());
  else
    spdlog::info("rate limiter: connected to Redis {}", url.display());
  warned_ = false;
}

void redis_link::go_down(const std::string& why, int64_t now) {
  if (!warned_) {
    ++episodes;
    warned_ = true;
    auto& url =
      cfg_.urls[(url_index_ + cfg_.urls.size() - 1) % cfg_.urls.size()];
    spdlog::warn("rate limiter: Redis {} {}; deciding with local buckets "
                 "(limits / {} nodes) until it is back",
                 url.display(), why, cfg_.nodes_hint);
  } else {
    spdlog::debug("rate limiter: Redis still unavailable: {}", why);
  }
  state_ = link_state::down;
  if (ac_)
    drop_ = true;
  next_connect_ns_ = now + backoff_ns_;
  backoff_ns_ = std::min(max_backoff_ns, backoff_ns_ * 2);
}

void redis_link::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<redis_link*>(ac->data);
  if (status == REDIS_OK)
    return;            // the handshake's replies finish the job
  self->ac_ = nullptr; // hiredis frees it after this callback
  self->want_read_ = self->want_write_ = false;
  self->go_down(std::string("connect failed: ") + ac->errstr, steady_now());
}

void redis_link::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<redis_link*>(ac->data);
  self->ac_ = nullptr;
  self->want_read_ = self->want_write_ = false;
  if (self->drop_ || self->stop_.load())
    return; // we closed it
  self->go_down(status == REDIS_OK
                  ? std::string("closed the connection")
                  : std::string("connection lost: ") + ac->errstr,
                steady_now());
}

void redis_link::run() {
  while (true) {
    auto now = steady_now();
    if (drop_ && ac_) {
      if (state_.load() != link_state::down)
        go_down(drop_why_, now);
      auto* ac = ac_;
      redisAsyncFree(ac); // pending callbacks answer locally
      ac_ = nullptr;
      want_read_ = want_write_ = false;
    }
    drop_ = false;
    if (stop_.load())
      break;
    if (!ac_ && now >= next_connect_ns_)
      connect(now);
    if (ac_ && state_.load() == link_state::connecting &&
        now >= handshake_deadline_ns_) {
      drop_why_ = "did not answer the handshake in time";
      drop_ = true;
      continue;
    }
    std::vector<std::shared_ptr<request>> batch;
    {
      std::lock_guard<std::mutex> g(mtx_);
      batch.swap(incoming_);
    }
    for (auto& r : batch)
      dispatch(std::move(r), now);
    expire(now);
    if (drop_)
      continue;
    int64_t wait = 100'000'000;
    if (!inflight_.empty())
      wait = std::min(wait, inflight_.front()->deadline_ns - now);
    if (!ac_)
      wait = std::min(wait, next_connect_ns_ - now);
    else if (state_.load() == link_state::connecting)
      wait = std::min(wait, handshake_deadline_ns_ - now);
    wait = std::max<int64_t>(wait, 0);
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
    nfds_t n = 1;
    if (ac_ && (want_read_ || want_write_)) {
      fds[1].fd = ac_->c.fd;
      fds[1].events = static_cast<short>((want_read_ ? POLLIN : 0) |
                                         (want_write_ ? POLLOUT : 0));
      n = 2;
    }
    timespec ts{static_cast<time_t>(wait / 1'000'000'000),
                static_cast<long>(wait % 1'000'000'000)};
    if (::ppoll(fds, n, &ts, nullptr) <= 0)
      continue;
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
    }
    if (n == 2 && fds[1].revents) {
      auto ev = fds[1].revents;
      if (ac_ && want_read_ && (ev & (POLLIN | POLLERR | POLLHUP)))
        redisAsyncHandleRead(ac_);
      if (ac_ && want_write_ && (ev & (POLLOUT | POLLERR | POLLHUP)))
        redisAsyncHandleWrite(ac_);
    }
  }
  // stopping: answer what is left (locally), then nothing more arrives
  if (ac_) {
    drop_ = true;
    redisAsyncFree(ac_);
    ac_ = nullptr;
  }
  std::vector<std::shared_ptr<request>> rest;
  {
    std::lock_guard<std::mutex> g(mtx_);
    closed_ = true;
    rest.swap(incoming_);
  }
  auto now = steady_now();
  for (auto& r : rest)
    for (size_t i = 0; i < r->items.size(); ++i)
      answer_local(*r, i, now);
}

} // namespace themis::cluster
