/// Active HTTP health checks of gateway endpoints (gateway_upstream_conn.hpp).

#include "actors/gateway_upstream_conn.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "gateway/response_parser.hpp"

namespace themis::gateway_detail {

namespace {

/// One active health check: connect, GET, read a whole answer, close.
struct health_probe : std::enable_shared_from_this<health_probe> {
  health_probe(asio::io_context& io, std::function<void(bool)> d) :
    c(std::make_shared<upstream_conn>(io)), done(std::move(d)) {}
  conn_ptr c;
  std::function<void(bool)> done;
  gateway::response_parser parser{false};
  std::shared_ptr<const std::string> wire;
  std::shared_ptr<const upstream_tls> tls;
  std::string host;

  void start(const tcp::endpoint& to, std::shared_ptr<const std::string> w,
             uint32_t timeout_ms) {
    wire = std::move(w);
    c->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    c->timer.async_wait([c = c](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ig;
        c->sock.close(ig);
      }
    });
    c->sock.async_connect(
      to, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec)
          return self->finish(false);
        if (!self->tls)
          return self->send();
        start_tls(self->c, *self->tls, self->host, [self](std::string err) {
          if (!err.empty())
            return self->finish(false);
          self->send();
        });
      });
  }
  void send() {
    c->write_all(asio::buffer(*wire), [self = shared_from_this()](
                                        boost::system::error_code ec, size_t) {
      if (ec)
        return self->finish(false);
      self->read();
    });
  }
  void read() {
    c->read_some(
      asio::buffer(c->buf),
      [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        using res = gateway::response_parser::result;
        res r = ec == asio::error::eof ? self->parser.on_eof()
                : ec                   ? res::error
                     : self->parser.feed({self->c->buf.data(), n});
        if (r == res::need_more && !ec)
          return self->read();
        auto st = self->parser.response().status;
        self->finish(r == res::done && st >= 200 && st < 300);
      });
  }
  void finish(bool ok) {
    c->timer.cancel();
    boost::system::error_code ig;
    c->sock.close(ig);
    done(ok);
  }
};

} // namespace

void probe_endpoint(asio::io_context& io, const tcp::endpoint& to,
                    std::shared_ptr<const std::string> wire,
                    uint32_t timeout_ms, std::function<void(bool)> done,
                    std::shared_ptr<const upstream_tls> tls,
                    const std::string& host) {
  auto pr = std::make_shared<health_probe>(io, std::move(done));
  pr->tls = std::move(tls);
  pr->host = host;
  asio::post(pr->c->strand, [pr, to, wire = std::move(wire), timeout_ms] {
    pr->start(to, wire, timeout_ms);
  });
}

} // namespace themis::gateway_detail
