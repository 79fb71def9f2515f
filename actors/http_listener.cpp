#include "actors/http_listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <unordered_set>

#include "actors/http_connection_actor.hpp"
#include "actors/ip_slots.hpp"
#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "actors/tcp_connection.hpp"

namespace themis {

namespace asio = boost::asio;

http_acceptor::http_acceptor(asio::io_context& io, const std::string& bind,
                             int port, std::shared_ptr<server_context> ctx) :
  http_acceptor(io, bind, port, ctx, http_listener_name,
                ctx->config.http.max_connections, [] {
                  std::string body = "{\"error\":true,\"message\":\"too many "
                                     "connections\",\"status_code\":503}";
                  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                         "application/json\r\nRetry-After: 1\r\nConnection: "
                         "close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
                }()) {}

http_acceptor::http_acceptor(asio::io_context& io, const std::string& bind,
                             int port, std::shared_ptr<server_context> ctx,
                             caf::atom_value listener, uint32_t max_connections,
                             std::string busy_reply) :
  io_(io),
  acceptor_(io), ctx_(std::move(ctx)), listener_(listener),
  max_connections_(max_connections), busy_(std::move(busy_reply)) {
  auto addr = asio::ip::make_address(bind);
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void http_acceptor::start() {
  do_accept();
}

void http_acceptor::stop() {
  asio::post(io_, [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void http_acceptor::reject(tcp::socket socket, const char* why) {
  // Refused before any actor or session exists: a fixed 503 and close.
  ++ctx_->metrics.rejected_connections;
  spdlog::warn("refused a connection: {}", why);
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  if (busy_.empty() || tls_) { // (a TLS client would not read clear text)
    boost::system::error_code ec;
    s->close(ec);
    return;
  }
  asio::async_write(
    *s, asio::buffer(busy_),
    [s, keep = shared_from_this()](boost::system::error_code, size_t) {
      boost::system::error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
      s->close(ec);
    });
}

void http_acceptor::do_accept() {
  acceptor_.async_accept([self = shared_from_this()](
                           boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
      return;
    if (!ec) {
      auto& m = self->ctx_->metrics;
      auto& ctx = *self->ctx_;
      auto lsn = registered(*ctx.system, self->listener_);
      bool draining = m.draining; // read once: the counts below must balance
      boost::system::error_code ep_ec;
      auto ip = socket.remote_endpoint(ep_ec).address().to_string();
      ip_slot slot; // (shared with QUIC connections: actors/ip_slots.hpp)
      if (!draining && lsn)
        slot = take_ip_slot(ctx, ip);
      bool ip_full = slot.full;
      if (draining || !lsn || ip_full ||
          self->open_->load() >= static_cast<int64_t>(self->max_connections_)) {
        self->reject(std::move(socket), draining  ? "draining"
                                        : !lsn    ? "no listener actor"
                                        : ip_full ? "connection limit per IP"
                                                  : "connection limit");
        if (slot.counted)
          release_ip_slot(ctx, ip);
      } else {
        ++m.accepted_connections;
        auto conn = std::make_shared<tcp_connection>(std::move(socket), m,
                                                     ctx.io_threads > 1);
        if (self->tls_)
          conn->enable_tls(
            self->tls_(),
            std::chrono::milliseconds(ctx.config.tls.handshake_timeout_ms));
        // this listener's own count (its max_connections), and the
        // per-IP count shared by every listener
        ++*self->open_;
        conn->on_destroy(
          [ctxp = self->ctx_, ip, per_ip = slot.counted, open = self->open_] {
            --*open;
            if (per_ip)
              release_ip_slot(*ctxp, ip);
          });
        caf::anon_send(lsn, accept_atom::value, conn);
      }
    } else {
      spdlog::warn("http accept failed: {}", ec.message());
    }
    self->do_accept();
  });
}

namespace {

using connection_set = std::unordered_set<caf::actor>;

struct listener_state {
  /// Shared with the exit functor: connections end with their listener.
  std::shared_ptr<connection_set> connections =
    std::make_shared<connection_set>();
  bool draining = false;
};

using listener_actor = caf::stateful_actor<listener_state>;

caf::behavior listener(listener_actor* self,
                       std::shared_ptr<server_context> ctx,
                       connection_spawner spawn) {
  self->set_down_handler([self](caf::down_msg& dm) {
    self->state.connections->erase(caf::actor_cast<caf::actor>(dm.source));
  });
  self->attach_functor([conns = self->state.connections] {
    for (auto& c : *conns)
      caf::anon_send_exit(c, caf::exit_reason::kill);
    conns->clear();
  });
  return {
    [=](accept_atom, connection_ptr& conn) {
      ctx->metrics.listener_mailbox =
        static_cast<int64_t>(self->mailbox().size());
      auto a = spawn(self->system(), conn);
      self->monitor(a);
      self->state.connections->insert(a);
      if (self->state.draining)
        self->send(a, drain_atom::value);
    },
    [=](drain_atom) {
      self->state.draining = true;
      for (auto& c : *self->state.connections)
        self->send(c, drain_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_listener(caf::actor_system& sys,
                          std::shared_ptr<server_context> ctx,
                          connection_spawner spawn) {
  return sys.spawn(listener, std::move(ctx), std::move(spawn));
}

caf::actor spawn_http_listener(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return spawn_listener(sys, ctx,
                        [ctx](caf::actor_system& s, connection_ptr conn) {
                          return spawn_http_connection(s, std::move(conn), ctx);
                        });
}

} // namespace themis
