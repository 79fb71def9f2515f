#include "actors/pg_connection.hpp"

#include <caf/all.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "actors/messages.hpp"
#include "actors/pg_frontend.hpp"
#include "actors/server_context.hpp"
#include "actors/tcp_connection.hpp"
#include "engine/store_schema.hpp"

namespace themis {

namespace {

/// Users from pg.users ("name:secret,…").
std::optional<std::string> lookup_user(const std::string& users,
                                       const std::string& name) {
  size_t pos = 0;
  while (pos <= users.size()) {
    auto end = users.find(',', pos);
    if (end == std::string::npos)
      end = users.size();
    auto entry = users.substr(pos, end - pos);
    auto colon = entry.find(':');
    if (colon != std::string::npos && entry.substr(0, colon) == name)
      return entry.substr(colon + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

class actor_port : public pg_backend_port {
public:
  actor_port(caf::blocking_actor* self, connection_ptr conn,
             server_context& ctx) :
    self_(self),
    conn_(std::move(conn)), ctx_(ctx) {}

  bool closing = false;

  void send(std::string bytes) override { conn_->write(std::move(bytes)); }
  void close() override {
    closing = true;
    conn_->close_after_writes();
  }
  std::optional<std::string> credential(const std::string& user) override {
    return lookup_user(ctx_.config.pg.users, user);
  }
  void cancel(int32_t pid, int32_t key) override {
    std::lock_guard<std::mutex> g(ctx_.pg_mtx);
    auto it = ctx_.pg_backends.find(pid);
    if (it != ctx_.pg_backends.end() && it->second.first == key)
      sqlite3_interrupt(static_cast<sqlite3*>(it->second.second));
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
    auto writer = registered(self_->system(), store_writer_name);
    if (!writer) {
      out.sqlstate = "57P03";
      out.message = "the store writer is unavailable";
      return out;
    }
    constexpr auto wait = std::chrono::seconds(300);
    req.deadline_ns =
      steady_ns() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count() -
      1000000000; // a second before the request itself times out
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
  caf::blocking_actor* self_;
  connection_ptr conn_;
  server_context& ctx_;
};

pgwire::auth_method auth_of(const std::string& s) {
  if (s == "trust")
    return pgwire::auth_method::trust;
  if (s == "password")
    return pgwire::auth_method::password;
  if (s == "md5")
    return pgwire::auth_method::md5;
  return pgwire::auth_method::scram_sha_256;
}

void pg_connection(caf::blocking_actor* self, connection_ptr conn,
                   std::shared_ptr<server_context> ctx) {
  auto& cfg = ctx->config;
  actor_port port(self, conn, *ctx);
  pg_frontend_options o;
  o.session.auth = auth_of(cfg.pg.auth);
  o.session.limits.max_message = cfg.pg.max_message_bytes;
  o.session.backend_pid = ctx->next_pg_pid++;
  RAND_bytes(reinterpret_cast<unsigned char*>(&o.session.backend_key),
             sizeof o.session.backend_key);
  engine::store_options so;
  so.data_dir = cfg.engine.data_dir;
  o.db_path = engine::database_path(so);
  o.database = cfg.pg.database;
  o.session_id = static_cast<uint64_t>(o.session.backend_pid);
  std::unique_ptr<pg_frontend> fe;
  try {
    fe = std::make_unique<pg_frontend>(o, port);
  } catch (const std::exception& e) {
    spdlog::error("pg {}: {}", conn->remote_address(), e.what());
    conn->abort();
    return;
  }
  {
    std::lock_guard<std::mutex> g(ctx->pg_mtx);
    ctx->pg_backends[o.session.backend_pid] = {o.session.backend_key,
                                               fe->read_db()};
  }
  conn->set_sink(caf::actor_cast<caf::actor>(self));
  conn->resume_reading();
  bool running = true;
  bool draining = ctx->metrics.draining;
  self->receive_while(running)(
    [&](data_atom, std::string& bytes) {
      try {
        fe->on_data(bytes);
      } catch (const std::exception& e) {
        spdlog::error("pg {}: {}", conn->remote_address(), e.what());
        fe->terminate("internal error");
      }
      if (draining && !port.closing)
        fe->terminate("terminating connection due to administrator command");
      fe->check_timeouts(); // a trickling client still meets the deadline
    },
    [&](closed_atom) { running = false; },
    [&](caf::exit_msg& em) {
      // the listener ends us (shutdown): a blocking actor sees this as a
      // message; stop here, whatever the client does
      running = false;
      conn->abort();
      (void)em;
    },
    [&](drain_atom) {
      draining = true;
      fe->terminate("terminating connection due to administrator command");
    },
    caf::after(std::chrono::seconds(1)) >> [&] { fe->check_timeouts(); });
  fe->abandon();
  {
    std::lock_guard<std::mutex> g(ctx->pg_mtx);
    ctx->pg_backends.erase(o.session.backend_pid);
  }
  conn->close_after_writes();
}

} // namespace

caf::actor spawn_pg_connection(caf::actor_system& sys, connection_ptr conn,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn<caf::detached>(pg_connection, std::move(conn),
                                  std::move(ctx));
}

} // namespace themis
