#include "actors/pg_connection.hpp"

#include <caf/all.hpp>
#include <cerrno>
#include <openssl/rand.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/messages.hpp"
#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/server_context.hpp"
#include "actors/store_writer_tx.hpp"
#include "actors/tcp_connection.hpp"
#include "auth/authenticator.hpp"
#include "engine/security/audit_log.hpp"
#include "engine/store_schema.hpp"
#include "handlers/access_log.hpp"
#include "limits/tenant_quotas.hpp"
#include "protocols/pgwire/pg_auth_rules.hpp"
#include "protocols/tls/tls_stream.hpp"
#include "themis/user_list.hpp"

namespace themis {

namespace {

/// The backend's side of the world: the client socket, driven directly by
/// this thread with poll(2) (no hop through the I/O threads: a request is
/// read, run and answered on one thread, as in a PostgreSQL backend), and
/// blocking requests to the store writer.
class actor_port : public pg_backend_port {
public:
  actor_port(caf::blocking_actor* self, int fd, server_context& ctx,
             std::string remote, int32_t pid) :
    self_(self),
    fd_(fd), ctx_(ctx), remote_(std::move(remote)), pid_(pid) {}
  ~actor_port() override {
    session_ended("closed");
    if (slot_)
      ctx_.quotas->release_connection(*slot_);
  }
  actor_port(const actor_port&) = delete;
  actor_port& operator=(const actor_port&) = delete;

  bool closing = false;  ///< close once what was sent is written
  bool broken = false;   ///< the socket failed or the client stopped reading
  bool want_tls = false; ///< 'S' is queued: TLS after the next flush
  std::unique_ptr<tls::stream> tls;

  void start_tls() override { want_tls = true; }

  /// Bytes read from the socket: decrypted when TLS is on (handshake
  /// records are answered here). Returns the clear text; sets `broken`
  /// when TLS fails or the peer closed it.
  std::string input(std::string_view in) {
    if (!tls)
      return std::string(in);
    std::string plain, out;
    bool was_done = tls->handshake_done();
    auto st = tls->on_ciphertext(in, plain, out);
    if (!out.empty())
      write_raw(out);
    if (!was_done && tls->handshake_done())
      ++ctx_.metrics.tls_handshakes;
    if (st == tls::stream::status::failed) {
      if (!tls->handshake_done())
        ++ctx_.metrics.tls_handshake_failures;
      spdlog::debug("pg: TLS: {}", tls->error());
      broken = true;
    } else if (st == tls::stream::status::closed) {
      broken = true;
    }
    return plain;
  }

  void send(std::string bytes) override {
    if (broken)
      return;
    if (out_.empty())
      out_ = std::move(bytes);
    else
      out_ += bytes;
    if (out_.size() >= (256u << 10))
      flush();
  }
  void close() override { closing = true; }

  /// Writes what is queued (encrypted when TLS is on).
  void flush() {
    if (out_.empty())
      return;
    if (tls) {
      std::string enc;
      if (tls->write(out_, enc) != tls::stream::status::ok)
        broken = true;
      out_.clear();
      write_raw(enc);
      return;
    }
    write_raw(out_);
    out_.clear();
  }

  /// Writes bytes as they are. Waits for a slow reader up to 60 s in all,
  /// then gives the connection up (it never blocks the thread for good).
  void write_raw(const std::string& bytes) {
    size_t off = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (off < bytes.size() && !broken) {
      auto n = ::send(fd_, bytes.data() + off, bytes.size() - off,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 &&
          (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (std::chrono::steady_clock::now() > deadline) {
          broken = true;
          break;
        }
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 200);
        continue;
      }
      broken = true;
    }
  }
  std::optional<std::string> credential(const std::string& user) override {
    return find_user_secret(ctx_.live.get()->config.pg.users, user);
  }
  bool tokens_accepted() override {
    return ctx_.authn && ctx_.authn->accepts_tokens();
  }
  bool check_token(const std::string& user, const std::string& token) override {
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto r = ctx_.authn->from_token(token, now_s);
    if (!r.ok) {
      audit("auth.failure", user, {}, "token: " + r.error);
      token_error_ = "token: " + r.error;
      return false;
    }
    token_who_ = std::move(r.who);
    return true;
  }
  bool certificate_proves(const std::string& user) override {
    if (!tls || !tls->handshake_done() || !ctx_.authn)
      return false;
    auto subject = tls->peer_subject(); // "" unless verified
    if (subject.empty() || auth::authenticator::common_name(subject) != user)
      return false;
    token_who_ = ctx_.authn->for_certificate(subject);
    return true;
  }
  std::optional<pgwire::auth_method>
  method_for(const std::string& user) override {
    std::string error; // (the rules were checked at start)
    auto rules = pgwire::pg_auth_rules::parse(ctx_.config.pg.auth_rules, error);
    auto m = rules ? rules->method_for(user, remote_) : std::nullopt;
    // auth.required: nobody opens a session unproven, whatever a rule says
    if (m == pgwire::auth_method::trust && ctx_.authn->required())
      m = pgwire::auth_method::scram_sha_256;
    return m;
  }
  /// issue 24: Kerberos through GSSAPI. Blocking keytab and replay-cache
  /// reads are fine here: this backend owns its thread (a detached actor).
  pgwire::gss_status gss_step(const std::string& user, std::string_view token,
                              std::string& out) override {
    if (!ctx_.kerberos || !ctx_.kerberos->pg_enabled()) {
      gss_error_ = "GSSAPI: Kerberos is not configured for PostgreSQL";
      return pgwire::gss_status::failed;
    }
    if (!gss_)
      gss_ = ctx_.kerberos->pg_exchange();
    auto r = gss_->step(token);
    out = std::move(r.out);
    using st = auth::kerberos::gss_exchange::status;
    if (r.st == st::continue_needed)
      return pgwire::gss_status::continue_needed;
    if (r.st == st::failed) {
      gss_error_ = "GSSAPI: " + r.error;
      return pgwire::gss_status::failed;
    }
    std::string error;
    auto who = ctx_.kerberos->to_principal(gss_->client(), *ctx_.authn, error);
    if (!who) {
      gss_error_ = "Kerberos: " + error;
      return pgwire::gss_status::failed;
    }
    if (who->user != user) {
      gss_error_ = "Kerberos principal " + gss_->client() +
                   " is not PostgreSQL user " + user;
      return pgwire::gss_status::failed;
    }
    token_who_ = std::move(*who);
    return pgwire::gss_status::ok;
  }
  uint64_t documents_quota(const std::string& tenant) override {
    return ctx_.quotas ? ctx_.quotas->of(tenant).documents : 0;
  }
  void auth_failed(const std::string& user) override {
    if (!gss_error_.empty()) {
      audit("auth.failure", user, {}, gss_error_);
      token_error_ = gss_error_;
    } else if (!token_who_) {
      audit("auth.failure", user, {},
            "password authentication failed for user " + user);
    }
    ++ctx_.metrics.pg_auth_failures;
    if (access_log::enabled())
      access_log::write(
        "pg", "auth_failure",
        {{"user", user},
         {"remote", remote_},
         {"pid", pid_},
         {"reason", token_error_.empty() ? "password authentication failed"
                                         : token_error_}});
  }
  /// The session ended (the connection's thread is done with it).
  void session_ended(const char* why) {
    if (!session_)
      return;
    --ctx_.metrics.pg_sessions;
    if (access_log::enabled())
      access_log::write(
        "pg", "session_end",
        {{"user", session_->user},
         {"principal", session_->principal},
         {"tenant", session_->tenant},
         {"remote", remote_},
         {"pid", pid_},
         {"reason", why},
         {"duration_s", std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - session_->started)
                          .count()}});
    session_.reset();
  }
  bool admit(const std::string& user, principal& who, std::string& sqlstate,
             std::string& message) override {
    if (token_who_)
      who = *token_who_;
    else if (find_user_secret(ctx_.live.get()->config.pg.users, user))
      who = ctx_.authn->for_user(user); // proven by the password exchange
    else // pg.auth trust on the open server (auth.required forbids it)
      who = principal{user, {}, {}, "anonymous", {}};
    if (!who.tenant.empty()) {
      if (!ctx_.quotas->acquire_connection(who.tenant)) {
        audit("quota.connections", who.user, who.tenant,
              "tenant " + who.tenant + " is at its connection quota");
        sqlstate = "53400";
        message = "too many connections for tenant \"" + who.tenant + "\"";
        return false;
      }
      slot_ = who.tenant;
    }
    ++ctx_.metrics.pg_sessions;
    ++ctx_.metrics.pg_sessions_started;
    session_ = session_info{user, who.user.empty() ? who.via : who.user,
                            who.tenant, std::chrono::steady_clock::now()};
    if (access_log::enabled())
      access_log::write("pg", "session_start",
                        {{"user", user},
                         {"principal", session_->principal},
                         {"tenant", who.tenant},
                         {"remote", remote_},
                         {"pid", pid_},
                         {"tls", tls != nullptr}});
    return true;
  }
  void cancel(int32_t pid, int32_t key) override {
    bool known = false;
    {
      std::lock_guard<std::mutex> g(ctx_.pg_mtx);
      auto it = ctx_.pg_backends.find(pid);
      known = it != ctx_.pg_backends.end() && it->second.first == key;
      if (known && !ctx_.pg_registry)
        sqlite3_interrupt(static_cast<sqlite3*>(it->second.second));
    }
    // the registry's cancel also stops a statement still being prepared
    if (known && ctx_.pg_registry)
      ctx_.pg_registry->cancel(pid);
  }
  engine::write_result write(std::shared_ptr<sql::write_job> job) override {
    engine::write_result out;
    auto writer = registered(self_->system(), store_writer_name);
    if (!writer) {
      out.error = "store writer unavailable";
      return out;
    }
    auto now = steady_ns();
    if (!ctx_.writer_admission.admit(now)) {
      out.overloaded = true;
      return out;
    }
    ctx_.writer_admission.enqueued();
    struct done {
      limits::admission& a;
      ~done() { a.dequeued(); }
    } guard{ctx_.writer_admission};
    engine::write_batch b;
    engine::write_op op;
    op.kind = engine::op_kind::sql;
    op.sql = std::move(job);
    b.ops.push_back(std::move(op));
    b.enqueued_ns = now;
    self_
      ->request(writer, std::chrono::seconds(300), write_atom::value,
                std::move(b))
      .receive([&](engine::write_result& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out.error =
                   "store writer did not answer: " + caf::to_string(e);
               });
    return out;
  }
  sql_tx_reply tx(sql_tx_request req) override {
    sql_tx_reply out;
    // the transaction this session holds runs on this thread (no hop)
    if (run_in_held_transaction(ctx_, req, out))
      return out;
    auto writer = registered(self_->system(), store_writer_name);
    if (!writer) {
      out.sqlstate = "57P03";
      out.message = "the store writer is unavailable";
      return out;
    }
    constexpr auto wait = std::chrono::seconds(300);
    auto limit =
      steady_ns() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count() -
      1000000000; // a second before the request itself times out
    // or the session's statement_timeout, if sooner
    req.deadline_ns =
      req.deadline_ns ? std::min(req.deadline_ns, limit) : limit;
    self_->request(writer, wait, sql_tx_atom::value, std::move(req))
      .receive([&](sql_tx_reply& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out.sqlstate = "XX000";
                 out.message =
                   "store writer did not answer: " + caf::to_string(e);
               });
    return out;
  }

private:
  void audit(const char* action, const std::string& user,
             const std::string& tenant, std::string detail) {
    if (!ctx_.audit)
      return;
    engine::audit_event e;
    e.action = action;
    e.outcome = "denied";
    e.protocol = "postgres";
    e.user = user;
    e.tenant = tenant;
    e.remote = remote_;
    e.request_id = "pid " + std::to_string(pid_);
    e.detail = std::move(detail);
    ctx_.audit->append(std::move(e));
  }

  caf::blocking_actor* self_;
  int fd_;
  server_context& ctx_;
  std::string remote_;
  int32_t pid_;
  std::string out_;
  std::optional<principal> token_who_;
  std::optional<std::string> slot_; ///< tenant connection held
  std::string token_error_;         ///< why a token was refused
  std::unique_ptr<auth::kerberos::gss_exchange> gss_; ///< issue 24
  std::string gss_error_; ///< why GSSAPI refused (audit, access log)
  struct session_info {
    std::string user, principal, tenant;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<session_info> session_; ///< admitted, not yet ended
};

pgwire::auth_method auth_of(const std::string& s) {
  return pgwire::parse_auth_method(s).value_or(
    pgwire::auth_method::scram_sha_256);
}

/// The backend's loop on a socket it owns; `tls_ok`: 'S' may start TLS.
void pg_backend(caf::blocking_actor* self, int fd, std::string remote,
                bool tls_ok, std::shared_ptr<server_context> ctx);

void pg_connection(caf::blocking_actor* self, connection_ptr conn,
                   std::shared_ptr<server_context> ctx) {
  int fd = conn->take_fd(); // conn stays alive: it accounts for the socket
  if (fd < 0)
    return;
  pg_backend(self, fd, conn->remote_address(), true, std::move(ctx));
}

void pg_backend(caf::blocking_actor* self, int fd, std::string remote,
                bool tls_ok, std::shared_ptr<server_context> ctx) {
  auto& cfg = ctx->config;
  struct fd_guard {
    int fd;
    ~fd_guard() {
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
  } fd_close{fd};
  pg_frontend_options o;
  o.session.auth = auth_of(cfg.pg.auth);
  // auth.required: nobody opens a session unproven, whatever pg.auth says
  if (o.session.auth == pgwire::auth_method::trust && ctx->authn->required())
    o.session.auth = pgwire::auth_method::scram_sha_256;
  o.session.limits.max_message = cfg.pg.max_message_bytes;
  o.session.backend_pid = ctx->next_pg_pid++;
  o.ranger = ctx->ranger; // issue 24
  o.remote = remote;
  actor_port port(self, fd, *ctx, remote, o.session.backend_pid);
  o.session.tls_available =
    tls_ok && ctx->tls.current(tls_state::pg) != nullptr;
  RAND_bytes(reinterpret_cast<unsigned char*>(&o.session.backend_key),
             sizeof o.session.backend_key);
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  o.db_path = engine::database_path(so);
  o.database = cfg.pg.database;
  o.session_id = static_cast<uint64_t>(o.session.backend_pid);
  o.metrics = &ctx->metrics;
  std::unique_ptr<pg_frontend> fe;
  try {
    fe = std::make_unique<pg_frontend>(o, port);
  } catch (const std::exception& e) {
    spdlog::error("pg {}: {}", remote, e.what());
    return;
  }
  {
    std::lock_guard<std::mutex> g(ctx->pg_mtx);
    ctx->pg_backends[o.session.backend_pid] = {o.session.backend_key,
                                               fe->read_db()};
  }
  // pg_stat_activity, signals and notifications (issue 36); the eventfd
  // wakes this thread when another session queues something for it
  int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct wake_guard {
    int fd;
    ~wake_guard() {
      if (fd >= 0)
        ::close(fd);
    }
  } wake_close{wake_fd};
  auto& sessions = *ctx->pg_registry;
  fe->attach(sessions, sessions.add(o.session.backend_pid, fe->read_db(),
                                    remote, wake_fd));
  bool running = true;
  bool draining = ctx->metrics.draining;
  auto last_tick = std::chrono::steady_clock::now();
  std::string buf(64u << 10, '\0');
  auto terminate = [&] {
    fe->terminate("terminating connection due to administrator command");
  };
  if (draining)
    terminate();
  while (running && !port.closing && !port.broken) {
    // wake at least twice a second: the mailbox (drain, shutdown) and the
    // startup deadline are checked between reads
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int r = ::poll(p, wake_fd >= 0 ? 2 : 1, 500);
    if (r > 0 && (p[1].revents & POLLIN)) {
      uint64_t n = 0;
      auto got = ::read(wake_fd, &n, sizeof n);
      (void)got;
      fe->on_wake();
    }
    if (r > 0 && p[0].revents) {
      auto n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        running = false; // the client went away
      } else if (n > 0) {
        try {
          auto plain =
            port.input(std::string_view(buf.data(), static_cast<size_t>(n)));
          if (!plain.empty())
            fe->on_data(plain);
        } catch (const std::exception& e) {
          spdlog::error("pg {}: {}", remote, e.what());
          fe->terminate("internal error");
        }
        if (draining && !port.closing)
          terminate();
      }
    }
    port.flush();
    if (port.want_tls && !port.tls) {
      // 'S' went out in clear text; from here on the socket speaks TLS
      if (auto t = ctx->tls.current(tls_state::pg))
        port.tls = std::make_unique<tls::stream>(std::move(t));
      else
        port.broken = true; // (TLS was configured when 'S' was chosen)
    }
    while (running && self->has_next_message())
      self->receive(
        [&](drain_atom) {
          draining = true;
          terminate();
        },
        [&](caf::exit_msg& em) {
          // the listener ends us (shutdown): a blocking actor sees this as
          // a message; stop here, whatever the client does — inside a
          // transaction too (rolled back), with FATAL 57P01 first
          (void)em;
          if (!port.closing && !port.broken)
            terminate();
          running = false;
        },
        caf::after(std::chrono::milliseconds(0)) >> [] {});
    auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= std::chrono::milliseconds(500)) {
      last_tick = now;
      fe->check_timeouts();
      port.flush();
    }
  }
  port.flush();
  port.session_ended(draining                       ? "server shutdown"
                     : port.broken || !port.closing ? "connection lost"
                     : fe->closed()                 ? "client terminate"
                                                    : "closed");
  {
    std::lock_guard<std::mutex> g(ctx->pg_mtx);
    ctx->pg_backends.erase(o.session.backend_pid);
  }
  sessions.remove(o.session.backend_pid); // before wake_fd closes
  fe->abandon();
  fe->drop_temp_tables(); // issue 36: a temp table ends with its session
  fe.reset(); // before the socket closes: its last words are flushed above
}

} // namespace

caf::actor spawn_pg_connection(caf::actor_system& sys, connection_ptr conn,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn<caf::detached>(pg_connection, std::move(conn),
                                  std::move(ctx));
}

caf::actor spawn_pg_backend_on_fd(caf::actor_system& sys, int fd,
                                  std::string remote,
                                  std::shared_ptr<server_context> ctx) {
  return sys.spawn<caf::detached>(pg_backend, fd, std::move(remote), false,
                                  std::move(ctx));
}

} // namespace themis
