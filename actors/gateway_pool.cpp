#include "actors/gateway_pool.hpp"

#include "actors/gateway_upstream_conn.hpp"

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <vector>

namespace themis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_t_ = std::chrono::steady_clock;
using gateway_detail::arm;
using gateway_detail::conn_ptr;
using gateway_detail::strand_t;
using gateway_detail::upstream_conn;

namespace {

/// A request waiting for a connection (max_connections reached).
struct waiting {
  size_t ep;
  std::shared_ptr<const std::string> wire;
  bool head;
  uint32_t timeout_ms;
  gateway_pool::done_fn done;
  clock_t_::time_point since;
  std::shared_ptr<gateway::body_pipe> body;
};

/// A streamed answer's body being read (only on its connection's strand).
struct body_reader {
  conn_ptr c;
  std::shared_ptr<gateway::response_parser> parser;
  std::shared_ptr<gateway::body_pipe> body;
  bool reading = false;  ///< a read is pending on the socket
  bool released = false; ///< the connection went back (or was dropped)
};
using reader_ptr = std::shared_ptr<body_reader>;

} // namespace

struct gateway_pool::impl : std::enable_shared_from_this<gateway_pool::impl> {
  impl(asio::io_context& io, const gateway::cluster_config& c) :
    io(io), strand(asio::make_strand(io)), cfg(c), idle(c.endpoints.size()) {
    tcp::resolver res(io);
    for (auto& e : c.endpoints) {
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(e.host, ec);
      if (!ec) {
        addrs.emplace_back(addr, e.port);
        continue;
      }
      auto r = res.resolve(e.host, std::to_string(e.port), ec);
      addrs.push_back(!ec && !r.empty() ? r.begin()->endpoint()
                                        : tcp::endpoint());
    }
    if (c.tls.enabled)
      tls = std::make_shared<const gateway_detail::upstream_tls>(
        gateway_detail::make_upstream_tls(c.tls.ca_file, c.tls.verify,
                                          c.tls.sni, c.tls.cert_file,
                                          c.tls.key_file));
  }

  asio::io_context& io;
  strand_t strand; ///< idle lists, pending queue, counts
  gateway::cluster_config cfg;
  std::vector<tcp::endpoint> addrs;
  std::vector<std::vector<conn_ptr>> idle;
  std::deque<waiting> queue;
  bool shut = false;
  std::atomic<uint32_t> open{0};
  std::atomic<uint32_t> pending{0};
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> reuses{0};
  std::atomic<uint32_t> tunnels{0}; ///< open WebSocket tunnels
  /// Upstream connections held: pooled ones and tunnels (both count
  /// against breaker.max_connections).
  uint32_t in_use() const { return open.load() + tunnels.load(); }
  /// TLS to the endpoints (null: plain TCP)
  std::shared_ptr<const gateway_detail::upstream_tls> tls;

  static gateway_try failure(int status, std::string why, bool connect) {
    gateway_try t;
    t.fail_status = status;
    t.reason = std::move(why);
    t.connect_failed = connect;
    return t;
  }

  // -- on the pool strand -------------------------------------------------

  using pipe_ptr = std::shared_ptr<gateway::body_pipe>;

  void start(size_t ep, std::shared_ptr<const std::string> wire, bool head,
             uint32_t timeout_ms, done_fn done, clock_t_::time_point t0,
             pipe_ptr body) {
    if (shut || ep >= addrs.size()) {
      done(failure(503, "upstream cluster reloaded", false));
      return;
    }
    auto& list = idle[ep];
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      auto age = clock_t_::now() - c->idle_since;
      if (age > std::chrono::milliseconds(cfg.idle_timeout_ms)) {
        drop(c);
        continue;
      }
      ++reuses;
      run(c, std::move(wire), head, timeout_ms, std::move(done), t0, true,
          std::move(body));
      return;
    }
    if (in_use() >= cfg.breaker.max_connections) {
      // take an idle connection of another endpoint's share
      for (auto& other : idle)
        if (!other.empty()) {
          drop(other.front());
          other.erase(other.begin());
          break;
        }
    }
    if (in_use() >= cfg.breaker.max_connections) {
      if (queue.size() >= cfg.breaker.max_pending) {
        auto t = failure(503, "circuit breaker: max pending requests", false);
        t.overflow = true;
        done(std::move(t));
        return;
      }
      queue.push_back({ep, std::move(wire), head, timeout_ms, std::move(done),
                       t0, std::move(body)});
      ++pending;
      return;
    }
    connect(ep, std::move(wire), head, timeout_ms, std::move(done), t0,
            std::move(body));
  }

  void drop(const conn_ptr& c) {
    asio::post(c->strand, [c] {
      boost::system::error_code ec;
      c->sock.close(ec);
    });
    --open;
    next_pending();
  }

  /// A connection slot freed: the oldest waiting request gets it.
  void next_pending() {
    while (!queue.empty() && in_use() < cfg.breaker.max_connections) {
      auto w = std::move(queue.front());
      queue.pop_front();
      --pending;
      auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                     clock_t_::now() - w.since)
                     .count();
      if (spent >= w.timeout_ms) {
        w.done(
          failure(504, "upstream timeout (waiting for a connection)", false));
        continue;
      }
      start(w.ep, std::move(w.wire), w.head,
            static_cast<uint32_t>(w.timeout_ms - spent), std::move(w.done),
            w.since, std::move(w.body));
    }
  }

  void release(const conn_ptr& c, bool reusable) {
    asio::post(strand, [self = shared_from_this(), c, reusable] {
      if (reusable && !self->shut &&
          self->idle[c->ep].size() < self->cfg.max_idle_per_endpoint) {
        c->idle_since = clock_t_::now();
        self->idle[c->ep].push_back(c);
        self->next_pending();
        return;
      }
      self->drop(c);
    });
  }

  void connect(size_t ep, std::shared_ptr<const std::string> wire, bool head,
               uint32_t timeout_ms, done_fn done, clock_t_::time_point t0,
               pipe_ptr body) {
    auto c = std::make_shared<upstream_conn>(io);
    c->ep = ep;
    ++open;
    ++connects;
    auto self = shared_from_this();
    auto ct = std::min<uint32_t>(cfg.connect_timeout_ms, timeout_ms);
    asio::post(c->strand, [self, c, wire, head, timeout_ms, done, t0, ct, ep,
                           body]() mutable {
      arm(c, std::chrono::milliseconds(ct));
      c->sock.async_connect(
        self->addrs[ep], [self, c, wire, head, timeout_ms, done, t0,
                          body](boost::system::error_code ec) mutable {
          c->timer.cancel();
          if (ec) {
            bool to = c->timed_out;
            self->release(c, false);
            done(failure(to ? 504 : 502,
                         to ? "upstream connect timeout"
                            : "upstream connect failed: " + ec.message(),
                         true));
            return;
          }
          c->sock.set_option(tcp::no_delay(true), ec);
          if (!self->tls) {
            self->run(c, std::move(wire), head, timeout_ms, std::move(done), t0,
                      false, std::move(body));
            return;
          }
          // TLS: the handshake under the connect timeout too
          c->timed_out = false;
          arm(c, std::chrono::milliseconds(self->cfg.connect_timeout_ms));
          gateway_detail::start_tls(
            c, *self->tls, self->cfg.endpoints[c->ep].host,
            [self, c, wire, head, timeout_ms, done, t0,
             body](std::string err) mutable {
              c->timer.cancel();
              if (!err.empty() || c->timed_out) {
                bool to = c->timed_out;
                self->release(c, false);
                done(failure(to ? 504 : 502,
                             to ? "upstream TLS handshake timeout" : err,
                             true));
                return;
              }
              self->run(c, std::move(wire), head, timeout_ms, std::move(done),
                        t0, false, std::move(body));
            });
        });
    });
  }

  // -- on the connection's strand ----------------------------------------

  void run(const conn_ptr& c, std::shared_ptr<const std::string> wire,
           bool head, uint32_t timeout_ms, done_fn done,
           clock_t_::time_point t0, bool reused, pipe_ptr body) {
    auto self = shared_from_this();
    asio::dispatch(c->strand, [self, c, wire, head, timeout_ms, done, t0,
                               reused, body]() mutable {
      c->timed_out = false;
      auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                     clock_t_::now() - t0)
                     .count();
      auto left = spent >= timeout_ms ? 1 : timeout_ms - spent;
      arm(c, std::chrono::milliseconds(left));
      gateway::response_limits lim;
      lim.max_body_bytes = self->cfg.max_response_bytes;
      auto parser = std::make_shared<gateway::response_parser>(head, lim);
      c->write_all(
        asio::buffer(*wire),
        [self, c, wire, head, timeout_ms, done, t0, reused, parser,
         body](boost::system::error_code ec, size_t) mutable {
          if (ec) {
            self->fail_or_retry(
              c, std::move(wire), head, timeout_ms, std::move(done), t0, reused,
              false, "upstream write failed: " + ec.message(), std::move(body));
            return;
          }
          self->read(c, std::move(wire), head, timeout_ms, std::move(done), t0,
                     reused, std::move(parser), std::move(body));
        });
    });
  }

  void read(const conn_ptr& c, std::shared_ptr<const std::string> wire,
            bool head, uint32_t timeout_ms, done_fn done,
            clock_t_::time_point t0, bool reused,
            std::shared_ptr<gateway::response_parser> parser, pipe_ptr body) {
    auto self = shared_from_this();
    c->read_some(asio::buffer(c->buf), [self, c, wire, head, timeout_ms, done,
                                        t0, reused, parser,
                                        body](boost::system::error_code ec,
                                              size_t n) mutable {
      using res = gateway::response_parser::result;
      res r;
      // (before on_eof: a failed parser counts as started)
      bool nothing_yet = !parser->started();
      if (ec == asio::error::eof)
        r = parser->on_eof();
      else if (ec) {
        self->fail_or_retry(c, std::move(wire), head, timeout_ms,
                            std::move(done), t0, reused, parser->started(),
                            "upstream read failed: " + ec.message(),
                            std::move(body));
        return;
      } else
        r = parser->feed(std::string_view(c->buf.data(), n));
      if (r == res::need_more && !ec) {
        // the head is here, the body is not whole: stream it (5xx stay
        // buffered, whole: they may be retried)
        if (body && parser->head_complete() &&
            parser->response().status < 500) {
          self->begin_stream(c, std::move(parser), std::move(body),
                             std::move(done), t0);
          return;
        }
        self->read(c, std::move(wire), head, timeout_ms, std::move(done), t0,
                   reused, std::move(parser), std::move(body));
        return;
      }
      if (r == res::error) {
        if (ec == asio::error::eof && nothing_yet) {
          self->fail_or_retry(
            c, std::move(wire), head, timeout_ms, std::move(done), t0, reused,
            false, "upstream closed the connection", std::move(body));
          return;
        }
        c->timer.cancel();
        self->release(c, false);
        done(failure(502, "malformed upstream response: " + parser->error(),
                     false));
        return;
      }
      c->timer.cancel();
      gateway_try t;
      t.ok = true;
      t.resp = std::move(parser->response());
      t.ms =
        std::chrono::duration<double, std::milli>(clock_t_::now() - t0).count();
      self->release(c, t.resp.keep_alive && !ec);
      done(std::move(t));
    });
  }

  /// A reused keep-alive connection the upstream had closed meanwhile
  /// fails before any answer byte: that is not the upstream's fault, try
  /// once more on a new connection (RFC 9112 §9.3.1 allows it for a
  /// request the server never started on).
  void fail_or_retry(const conn_ptr& c, std::shared_ptr<const std::string> wire,
                     bool head, uint32_t timeout_ms, done_fn done,
                     clock_t_::time_point t0, bool reused, bool started,
                     std::string why, pipe_ptr body) {
    bool to = c->timed_out;
    c->timer.cancel();
    release(c, false);
    if (to) {
      done(failure(504, "upstream timeout", false));
      return;
    }
    if (reused && !started) {
      asio::post(strand, [self = shared_from_this(), c, wire, head, timeout_ms,
                          done, t0, body]() mutable {
        if (self->shut) {
          done(failure(503, "upstream cluster reloaded", false));
          return;
        }
        self->connect(c->ep, std::move(wire), head, timeout_ms, std::move(done),
                      t0, std::move(body));
      });
      return;
    }
    done(failure(502, std::move(why), false));
  }

  // -- streamed bodies (on the connection's strand) ------------------------

  /// The head is parsed and the body still comes: `done` gets the head
  /// now, the body goes through the pipe as it arrives.
  void begin_stream(const conn_ptr& c,
                    std::shared_ptr<gateway::response_parser> parser,
                    pipe_ptr body, done_fn done, clock_t_::time_point t0) {
    c->timer.cancel(); // the per-try deadline ends with the head
    auto rd = std::make_shared<body_reader>();
    rd->c = c;
    rd->parser = parser;
    rd->body = body;
    gateway_try t;
    t.ok = true;
    t.streamed = true;
    t.resp.status = parser->response().status;
    t.resp.headers = std::move(parser->response().headers);
    t.content_length = parser->content_length();
    t.ms =
      std::chrono::duration<double, std::milli>(clock_t_::now() - t0).count();
    // (pipe -> resume -> reader -> pipe: end_stream breaks the cycle, and
    // every way out of a stream ends there)
    body->set_resume([self = shared_from_this(), rd] {
      asio::post(rd->c->strand, [self, rd] { self->on_resume(rd); });
    });
    bool more = body->push(parser->take_body());
    done(std::move(t));
    if (more)
      pump(rd);
  }

  void on_resume(const reader_ptr& rd) {
    if (rd->released)
      return;
    if (rd->body->cancelled()) {
      if (rd->reading) { // the pending read fails and releases
        boost::system::error_code ig;
        rd->c->sock.close(ig);
      } else {
        end_stream(rd, false);
      }
      return;
    }
    if (!rd->reading)
      pump(rd);
  }

  void end_stream(const reader_ptr& rd, bool reusable) {
    if (rd->released)
      return;
    rd->released = true;
    rd->c->timer.cancel();
    rd->body->set_resume(nullptr); // (breaks pipe -> resume -> reader)
    release(rd->c, reusable);
  }

  void pump(const reader_ptr& rd) {
    if (rd->released || rd->reading)
      return;
    auto& c = rd->c;
    rd->reading = true;
    c->timed_out = false;
    arm(c, std::chrono::milliseconds(rd->body->idle_ms()));
    c->read_some(asio::buffer(c->buf), [self = shared_from_this(),
                                        rd](boost::system::error_code ec,
                                            size_t n) {
      rd->reading = false;
      auto& c = rd->c;
      c->timer.cancel();
      if (rd->body->cancelled()) {
        self->end_stream(rd, false);
        return;
      }
      using res = gateway::response_parser::result;
      res r;
      if (ec == asio::error::eof)
        r = rd->parser->on_eof();
      else if (ec) {
        rd->body->fail(c->timed_out ? "upstream idle timeout"
                                    : "upstream read failed: " + ec.message());
        self->end_stream(rd, false);
        return;
      } else
        r = rd->parser->feed(std::string_view(c->buf.data(), n));
      if (r == res::error) {
        rd->body->fail("malformed upstream response: " + rd->parser->error());
        self->end_stream(rd, false);
        return;
      }
      bool more = rd->body->push(rd->parser->take_body());
      if (r == res::done) {
        rd->body->finish();
        self->end_stream(rd, rd->parser->response().keep_alive && !ec);
        return;
      }
      if (more)
        self->pump(rd);
      // else paused: the consumer's take() resumes it (on_resume)
    });
  }
};

gateway_pool::gateway_pool(asio::io_context& io,
                           const gateway::cluster_config& c) :
  impl_(std::make_shared<impl>(io, c)) {}

gateway_pool::~gateway_pool() {
  shut();
}

void gateway_pool::send(size_t ep, std::shared_ptr<const std::string> wire,
                        bool head, uint32_t timeout_ms, done_fn done,
                        std::shared_ptr<gateway::body_pipe> body) {
  auto t0 = clock_t_::now();
  asio::post(impl_->strand,
             [i = impl_, ep, wire = std::move(wire), head, timeout_ms,
              done = std::move(done), t0, body = std::move(body)]() mutable {
               i->start(ep, std::move(wire), head, timeout_ms, std::move(done),
                        t0, std::move(body));
             });
}

void gateway_pool::open_tunnel(size_t ep,
                               std::shared_ptr<const std::string> wire,
                               uint32_t timeout_ms, done_fn done,
                               std::shared_ptr<gateway::body_pipe> pipe,
                               std::shared_ptr<gateway_tunnel_slot> slot) {
  auto i = impl_;
  if (ep >= i->addrs.size()) {
    done(impl::failure(503, "upstream cluster reloaded", false));
    return;
  }
  if (i->in_use() >= i->cfg.breaker.max_connections) {
    auto t = impl::failure(503, "circuit breaker: max connections", false);
    t.overflow = true;
    done(std::move(t));
    return;
  }
  ++i->tunnels;
  ++i->connects;
  gateway::response_limits lim;
  lim.max_body_bytes = i->cfg.max_response_bytes;
  gateway_detail::open_tunnel(
    i->io, i->addrs[ep], std::move(wire), i->cfg.connect_timeout_ms, timeout_ms,
    lim, std::move(pipe), std::move(slot), std::move(done),
    [i] { // a slot freed: a waiting request may take it
      --i->tunnels;
      asio::post(i->strand, [i] { i->next_pending(); });
    },
    i->tls, i->cfg.endpoints[ep].host);
}

void gateway_pool::probe(size_t ep, const std::string& path,
                         uint32_t timeout_ms, std::function<void(bool)> done) {
  auto i = impl_;
  if (ep >= i->addrs.size()) {
    done(false);
    return;
  }
  auto wire = std::make_shared<std::string>(
    "GET " + path + " HTTP/1.1\r\nHost: " + i->cfg.endpoints[ep].address() +
    "\r\nUser-Agent: themisd-health\r\nConnection: close\r\n\r\n");
  // its own connection, outside the pool's limits: a full pool must not
  // make a healthy endpoint look dead
  gateway_detail::probe_endpoint(i->io, i->addrs[ep], std::move(wire),
                                 timeout_ms, std::move(done), i->tls,
                                 i->cfg.endpoints[ep].host);
}

void gateway_pool::shut() {
  asio::post(impl_->strand, [i = impl_] {
    i->shut = true;
    for (auto& list : i->idle) {
      for (auto& c : list)
        i->drop(c);
      list.clear();
    }
    while (!i->queue.empty()) {
      auto w = std::move(i->queue.front());
      i->queue.pop_front();
      --i->pending;
      w.done(impl::failure(503, "upstream cluster reloaded", false));
    }
  });
}

uint32_t gateway_pool::open_connections() const {
  return impl_->in_use();
}
uint32_t gateway_pool::pending() const {
  return impl_->pending.load();
}
uint64_t gateway_pool::connects() const {
  return impl_->connects.load();
}
uint64_t gateway_pool::reuses() const {
  return impl_->reuses.load();
}

} // namespace themis
