/// PostgreSQL over WebSocket (docs/postgres.md): the backend runs as for
/// a TCP client, on one end of a socket pair; this actor moves bytes
/// between the other end and the WebSocket (binary messages ↔ stream).
/// A reader thread blocks on the pair's end and hands what the backend
/// wrote to the actor, which frames it; the client's messages go to the
/// pair without blocking (what the backend has not read yet waits here,
/// bounded: past it the connection closes).

#include <caf/all.hpp>
#include <cerrno>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "actors/messages.hpp"
#include "actors/pg_connection.hpp"
#include "actors/server_context.hpp"
#include "actors/wire_transport.hpp"

namespace themis {

namespace {

using pg_out_atom = caf::atom_constant<caf::atom("t_wspgout")>;
using pg_retry_atom = caf::atom_constant<caf::atom("t_wspgrt")>;
using pg_eof_atom = caf::atom_constant<caf::atom("t_wspgeof")>;

struct bridge_state {
  std::shared_ptr<wire_transport> ws;
  int fd = -1;       ///< our end of the pair
  std::string to_pg; ///< client bytes the backend has not taken yet
  bool retry_scheduled = false;
  bool ended = false;
  caf::actor backend;
  size_t max_pending = 16u << 20;
};

using bridge_actor = caf::stateful_actor<bridge_state>;

/// Writes what is pending to the backend without blocking; false when
/// the pair is broken.
bool push(bridge_state& st) {
  while (!st.to_pg.empty()) {
    auto n = ::send(st.fd, st.to_pg.data(), st.to_pg.size(),
                    MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      st.to_pg.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return true;
    return false;
  }
  return true;
}

caf::behavior bridge(bridge_actor* self, std::shared_ptr<wire_transport> ws,
                     std::shared_ptr<server_context> ctx) {
  auto& st = self->state;
  st.ws = ws;
  st.max_pending = ctx->config.pg.max_message_bytes + (1u << 20);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    spdlog::error("pg over websocket {}: socketpair: {}", ws->remote_address(),
                  std::strerror(errno));
    ws->close_after_writes();
    self->quit();
    return {};
  }
  st.fd = sv[0];
  st.backend = spawn_pg_backend_on_fd(
    self->system(), sv[1], ws->remote_address() + " (websocket)", ctx);
  self->link_to(st.backend);
  // the reader: the backend's output, until it closes its end
  int rfd = ::dup(sv[0]);
  std::thread([rfd, me = caf::actor_cast<caf::actor>(self)] {
    std::string buf(64u << 10, '\0');
    for (;;) {
      auto n = ::recv(rfd, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      caf::anon_send(me, pg_out_atom::value,
                     std::string(buf.data(), static_cast<size_t>(n)));
    }
    ::close(rfd);
    caf::anon_send(me, pg_eof_atom::value);
  }).detach();
  self->attach_functor([ws, fd = st.fd](const caf::error&) {
    ::shutdown(fd, SHUT_RDWR); // the reader and the backend see the end
    ::close(fd);
    ws->abort();
  });
  ws->start(caf::actor_cast<caf::actor>(self));
  return {
    [=](data_atom, std::string& bytes) {
      auto& st = self->state;
      st.to_pg += st.ws->on_input(std::move(bytes));
      if (st.to_pg.size() > st.max_pending) {
        st.ws->close_after_writes(); // a client that floods a busy backend
        return;
      }
      if (!push(st)) {
        st.ws->close_after_writes();
        return;
      }
      if (!st.to_pg.empty() && !st.retry_scheduled) {
        st.retry_scheduled = true;
        self->delayed_send(self, std::chrono::milliseconds(2),
                           pg_retry_atom::value);
      }
    },
    [=](pg_retry_atom) {
      auto& st = self->state;
      st.retry_scheduled = false;
      if (!push(st))
        return st.ws->close_after_writes();
      if (!st.to_pg.empty()) {
        st.retry_scheduled = true;
        self->delayed_send(self, std::chrono::milliseconds(2),
                           pg_retry_atom::value);
      }
    },
    [=](pg_out_atom, std::string& bytes) {
      self->state.ws->write(std::move(bytes));
    },
    [=](pg_eof_atom) {
      // the backend ended: its last words (queued before this message)
      // and a close frame go out; the socket's close (relayed) ends us
      self->state.ws->close_after_writes();
    },
    [=](closed_atom) { self->quit(); }, // the socket closed (relayed)
    [=](drain_atom) { self->send(self->state.backend, drain_atom::value); },
  };
}

} // namespace

caf::actor spawn_pg_over_ws(caf::actor_system& sys,
                            std::shared_ptr<wire_transport> transport,
                            std::shared_ptr<server_context> ctx) {
  return sys.spawn(bridge, std::move(transport), std::move(ctx));
}

} // namespace themis
