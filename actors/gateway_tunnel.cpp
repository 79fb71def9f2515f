/// WebSocket pass-through connections of the gateway (gateway_tunnel.hpp).

#include "actors/gateway_tunnel.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "actors/gateway_upstream_conn.hpp"
#include "gateway/response_parser.hpp"

namespace themis::gateway_detail {

namespace {

int64_t mono_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           clock_t_::now().time_since_epoch())
    .count();
}

gateway_try tunnel_failure(int status, std::string why, bool connect) {
  gateway_try t;
  t.fail_status = status;
  t.reason = std::move(why);
  t.connect_failed = connect;
  return t;
}

struct tunnel : gateway_tunnel, std::enable_shared_from_this<tunnel> {
  tunnel(asio::io_context& io, gateway::response_limits lim) :
    c(std::make_shared<upstream_conn>(io)), parser(false, lim) {}

  conn_ptr c;
  gateway::response_parser parser;
  std::shared_ptr<const std::string> wire;
  std::shared_ptr<gateway::body_pipe> pipe;
  std::shared_ptr<gateway_tunnel_slot> slot;
  std::function<void(gateway_try)> done;
  std::function<void()> on_close;
  std::shared_ptr<const upstream_tls> tls; ///< null: plain TCP
  std::string host;
  clock_t_::time_point t0 = clock_t_::now();
  // on the strand
  std::deque<std::string> outq;
  bool writing = false, reading = false, ended = false, open = false;
  // any thread
  std::atomic<size_t> queued_bytes{0};
  std::atomic<int64_t> last_ms{mono_ms()};

  // -- gateway_tunnel (client side, any thread) -----------------------------

  void send(std::string bytes) override {
    if (bytes.empty())
      return;
    queued_bytes += bytes.size();
    last_ms = mono_ms();
    asio::post(c->strand, [self = shared_from_this(), b = std::move(bytes)] {
      if (self->ended) {
        self->queued_bytes -= b.size();
        return;
      }
      self->outq.push_back(std::move(b));
      self->write_next();
    });
  }
  size_t queued() const override { return queued_bytes.load(); }
  void close() override {
    asio::post(c->strand, [self = shared_from_this()] { self->shut(); });
  }

  // -- the handshake --------------------------------------------------------

  void start(const tcp::endpoint& to, uint32_t connect_ms,
             uint32_t timeout_ms) {
    arm(c, std::chrono::milliseconds(std::min(connect_ms, timeout_ms)));
    c->sock.async_connect(to, [self = shared_from_this(),
                               timeout_ms](boost::system::error_code ec) {
      auto& c = self->c;
      c->timer.cancel();
      if (ec) {
        bool to = c->timed_out;
        self->fail_head(
          tunnel_failure(to ? 504 : 502,
                         to ? "upstream connect timeout"
                            : "upstream connect failed: " + ec.message(),
                         true));
        return;
      }
      c->sock.set_option(tcp::no_delay(true), ec);
      c->timed_out = false;
      arm(c, std::chrono::milliseconds(timeout_ms)); // until the 101
      if (!self->tls)
        return self->send_handshake();
      start_tls(c, *self->tls, self->host, [self](std::string err) {
        if (!err.empty())
          return self->fail_head(tunnel_failure(
            self->c->timed_out ? 504 : 502,
            self->c->timed_out ? "upstream TLS handshake timeout" : err, true));
        self->send_handshake();
      });
    });
  }

  void send_handshake() {
    c->write_all(asio::buffer(*wire), [self = shared_from_this()](
                                        boost::system::error_code ec, size_t) {
      if (ec)
        return self->fail_head(
          tunnel_failure(502, "upstream write failed: " + ec.message(), false));
      self->read_head();
    });
  }

  void read_head() {
    c->read_some(
      asio::buffer(c->buf),
      [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        using res = gateway::response_parser::result;
        auto& p = self->parser;
        res r = ec == asio::error::eof ? p.on_eof()
                : ec                   ? res::error
                                       : p.feed({self->c->buf.data(), n});
        if (r == res::error) {
          bool to = self->c->timed_out;
          self->fail_head(
            tunnel_failure(to ? 504 : 502,
                           to ? "upstream timeout"
                           : ec && ec != asio::error::eof
                             ? "upstream read failed: " + ec.message()
                             : "malformed upstream response: " + p.error(),
                           false));
          return;
        }
        if (p.head_complete() && p.response().status == 101)
          return self->established();
        if (r == res::need_more)
          return self->read_head();
        // refused the upgrade: an ordinary answer, relayed whole
        gateway_try t;
        t.ok = true;
        t.resp = std::move(p.response());
        t.ms = self->elapsed_ms();
        self->finish_head(std::move(t));
      });
  }

  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(clock_t_::now() - t0)
      .count();
  }

  void fail_head(gateway_try t) { finish_head(std::move(t)); }

  /// The handshake ended without a tunnel: close, report.
  void finish_head(gateway_try t) {
    slot.reset();
    end();
    auto d = std::move(done);
    if (d)
      d(std::move(t));
  }

  void established() {
    c->timer.cancel();
    open = true;
    gateway_try t;
    t.ok = true;
    t.streamed = true;
    t.resp.status = 101;
    t.resp.headers = std::move(parser.response().headers);
    t.ms = elapsed_ms();
    // (pipe -> resume -> tunnel -> pipe: end() breaks the cycle)
    pipe->set_resume([self = shared_from_this()] {
      asio::post(self->c->strand, [self] { self->on_resume(); });
    });
    bool more = pipe->push(parser.take_rest()); // frames after the 101
    slot->tunnel = shared_from_this();
    slot.reset(); // (the slot holds us: no cycle)
    auto d = std::move(done);
    d(std::move(t));
    last_ms = mono_ms();
    arm_idle();
    if (more)
      pump();
  }

  // -- the tunnel -----------------------------------------------------------

  /// The idle deadline: no byte either way for the pipe's idle_ms.
  void arm_idle() {
    auto idle = static_cast<int64_t>(pipe->idle_ms());
    auto left = last_ms.load() + idle - mono_ms();
    c->timer.expires_after(std::chrono::milliseconds(left > 0 ? left : 0));
    c->timer.async_wait(
      [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->ended)
          return;
        if (mono_ms() - self->last_ms.load() <
            static_cast<int64_t>(self->pipe->idle_ms())) {
          self->arm_idle(); // traffic meanwhile
          return;
        }
        self->c->timed_out = true;
        self->pipe->fail("WebSocket tunnel idle timeout");
        self->end();
      });
  }

  void on_resume() {
    if (ended)
      return;
    if (pipe->cancelled()) {
      end();
      return;
    }
    pump();
  }

  void pump() {
    if (ended || reading)
      return;
    reading = true;
    c->read_some(
      asio::buffer(c->buf),
      [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        self->reading = false;
        if (self->ended)
          return;
        if (ec) {
          if (ec == asio::error::eof)
            self->pipe->finish(); // the upstream closed: so does the client
          else
            self->pipe->fail("upstream read failed: " + ec.message());
          self->end();
          return;
        }
        self->last_ms = mono_ms();
        if (self->pipe->push({self->c->buf.data(), n}))
          self->pump();
        else if (self->pipe->cancelled())
          self->end();
      });
  }

  void write_next() {
    if (writing || outq.empty() || ended)
      return;
    writing = true;
    c->write_all(
      asio::buffer(outq.front()),
      [self = shared_from_this()](boost::system::error_code ec, size_t) {
        self->writing = false;
        // end() emptied the queue meanwhile (kept only this buffer alive)
        if (self->outq.empty())
          return;
        self->queued_bytes -= self->outq.front().size();
        self->outq.pop_front();
        if (self->ended)
          return;
        if (ec) {
          self->pipe->fail("upstream write failed: " + ec.message());
          self->end();
          return;
        }
        self->write_next();
      });
  }

  /// The client ended: flush what it sent, then close.
  void shut() {
    if (ended)
      return;
    pipe->finish();
    end();
  }

  void end() {
    if (ended)
      return;
    ended = true;
    c->timer.cancel();
    boost::system::error_code ig;
    c->sock.close(ig);
    // the buffer a write in flight reads stays until its handler runs
    while (outq.size() > (writing ? 1u : 0u)) {
      queued_bytes -= outq.back().size();
      outq.pop_back();
    }
    if (pipe)
      pipe->set_resume(nullptr);
    if (on_close) {
      auto f = std::move(on_close);
      f();
    }
  }
};

} // namespace

void open_tunnel(asio::io_context& io, const tcp::endpoint& to,
                 std::shared_ptr<const std::string> wire, uint32_t connect_ms,
                 uint32_t timeout_ms, gateway::response_limits lim,
                 std::shared_ptr<gateway::body_pipe> pipe,
                 std::shared_ptr<gateway_tunnel_slot> slot,
                 std::function<void(gateway_try)> done,
                 std::function<void()> on_close,
                 std::shared_ptr<const upstream_tls> tls,
                 const std::string& host) {
  auto t = std::make_shared<tunnel>(io, lim);
  t->tls = std::move(tls);
  t->host = host;
  t->wire = std::move(wire);
  t->pipe = std::move(pipe);
  t->slot = std::move(slot);
  t->done = std::move(done);
  t->on_close = std::move(on_close);
  asio::post(t->c->strand, [t, to, connect_ms, timeout_ms] {
    t->start(to, connect_ms, timeout_ms);
  });
}

} // namespace themis::gateway_detail
