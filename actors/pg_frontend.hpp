#pragma once
/// One PostgreSQL client above the wire session: prepared statements,
/// portals, the transaction block, run-time parameters, COPY, and the
/// statements themselves — reads on the client's own read-only SQLite
/// connection (so a cancel interrupts exactly this client), writes on the
/// store writer (autocommit statements join its group commit; an explicit
/// transaction holds the writer for its duration). Synchronous: it runs on
/// the connection's own thread, as a PostgreSQL backend does.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/sql_tx.hpp"
#include "auth/ranger/ranger_enforcer.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/write_types.hpp"
#include "protocols/pgwire/pg_session.hpp"
#include "themis/principal.hpp"

struct sqlite3;

namespace themis::sql {
class literal_cache; // engine/sql/literal_cache.hpp
struct database_def; // engine/sql/sql_databases.hpp
} // namespace themis::sql

namespace themis {

class metrics_registry;
class pg_sessions;
struct pg_backend_entry;

/// What the front-end needs from the actor world.
class pg_backend_port {
public:
  virtual ~pg_backend_port() = default;
  virtual void send(std::string bytes) = 0;
  virtual void close() = 0;
  virtual std::optional<std::string> credential(const std::string& user) = 0;
  virtual void cancel(int32_t pid, int32_t key) = 0;
  /// An autocommit write (a batch of one SQL op); blocks until committed.
  virtual engine::write_result write(std::shared_ptr<sql::write_job> job) = 0;
  /// A step of the explicit transaction; blocks.
  virtual sql_tx_reply tx(sql_tx_request req) = 0;
  /// After what is queued now ('S'), the socket speaks TLS.
  virtual void start_tls() {}
  // -- identity (issue 9) ----------------------------------------------------
  virtual bool tokens_accepted() { return false; }
  /// A token given as the password; on success it is the session's
  /// principal.
  virtual bool check_token(const std::string& user, const std::string& token) {
    (void)user;
    (void)token;
    return false;
  }
  virtual void auth_failed(const std::string& user) { (void)user; }
  virtual bool certificate_proves(const std::string& user) {
    (void)user;
    return false;
  }
  /// pg.auth_rules' method for `user` from this client (issue 24).
  virtual std::optional<pgwire::auth_method>
  method_for(const std::string& user) {
    (void)user;
    return std::nullopt;
  }
  /// A GSSAPI (Kerberos) step; on ok the session's principal is set.
  virtual pgwire::gss_status
  gss_step(const std::string& user, std::string_view token, std::string& out) {
    (void)user;
    (void)token;
    (void)out;
    return pgwire::gss_status::failed;
  }
  /// The tenant's `documents` quota (0: none).
  virtual uint64_t documents_quota(const std::string& tenant) {
    (void)tenant;
    return 0;
  }
  /// The principal of the session `user` opened (the token's, the password
  /// user's, or the open server's anonymous one), admitted against its
  /// tenant's connection quota. False with a FATAL's sqlstate and message.
  virtual bool admit(const std::string& user, principal& who,
                     std::string& sqlstate, std::string& message) {
    (void)user;
    (void)sqlstate;
    (void)message;
    who = principal{{}, {}, {}, "anonymous", {}};
    return true;
  }
};

struct pg_frontend_options {
  pgwire::pg_session_options session;
  std::string db_path;
  std::string database = "themis";
  uint64_t session_id = 0;
  /// Statements by kind, errors by SQLSTATE, transaction durations (null:
  /// not counted).
  metrics_registry* metrics = nullptr;
  /// Apache Ranger policies (issue 24; null: off) and the client address
  /// its audit lines carry.
  std::shared_ptr<const auth::ranger::ranger_enforcer> ranger;
  std::string remote;
};

class pg_frontend : public pgwire::pg_session_callbacks {
public:
  pg_frontend(pg_frontend_options opts, pg_backend_port& port);
  ~pg_frontend() override;

  void on_data(std::string_view bytes) { session_.on_data(bytes); }
  void check_timeouts() {
    session_.check_timeouts();
    check_idle_in_transaction();
  }
  bool closed() const { return session_.closed(); }
  /// The read connection (for sqlite3_interrupt from a cancel request).
  sqlite3* read_db() const { return db_; }
  /// Rolls back an open transaction (the client went away).
  void abandon();
  /// Drain: FATAL 57P01 to an idle client.
  void terminate(const char* why);

  // -- sessions and notifications (issue 36; pg_frontend_notify.cpp) --------
  /// Joins the session registry as `me` (pg_stat_activity, signals,
  /// LISTEN/NOTIFY).
  void attach(pg_sessions& sessions, std::shared_ptr<pg_backend_entry> me);
  /// The backend's eventfd fired: a terminate request ends the session;
  /// queued notifications go out if the session is idle outside a
  /// transaction block.
  void on_wake();

  // pg_session_callbacks
  void send(std::string bytes) override { port_.send(std::move(bytes)); }
  void on_start_tls() override { port_.start_tls(); }
  void close() override { port_.close(); }
  uint64_t now_ms() override;
  std::optional<std::string> credential(const std::string& user) override {
    return port_.credential(user);
  }
  std::string random_bytes(size_t n) override;
  void on_cancel(int32_t pid, int32_t key) override { port_.cancel(pid, key); }
  void on_bad_startup(const std::string& why) override;
  bool tokens_accepted() override { return port_.tokens_accepted(); }
  bool check_token(const std::string& user, const std::string& token) override {
    return port_.check_token(user, token);
  }
  bool certificate_proves(const std::string& user) override {
    return port_.certificate_proves(user);
  }
  std::optional<pgwire::auth_method>
  method_for(const std::string& user) override {
    return port_.method_for(user);
  }
  pgwire::gss_status gss_step(const std::string& user, std::string_view token,
                              std::string& out) override {
    return port_.gss_step(user, token, out);
  }
  void on_auth_failed(const std::string& user) override {
    port_.auth_failed(user);
  }
  void on_authenticated(const pgwire::startup_packet& p) override;
  std::optional<std::string> reported_value(const std::string& name) override;
  void on_query(std::string sql) override;
  void on_parse(pgwire::parse_msg& m) override;
  void on_bind(pgwire::bind_msg& m) override;
  void on_describe(const pgwire::describe_msg& m) override;
  void on_execute(const pgwire::execute_msg& m) override;
  void on_close(const pgwire::describe_msg& m) override;
  void on_sync() override;
  void on_copy_data(std::string_view data) override;
  void on_copy_done() override;
  void on_copy_fail(const std::string& message) override;
  pgwire::tx_status status() override { return current(); }

private:
  struct prepared {
    sql::parsed_statement parsed;
    std::vector<uint32_t> declared;
    sql::statement st;
    uint64_t epoch = 0;
    bool empty = false;
  };
  struct portal {
    std::shared_ptr<prepared> stmt;
    sql::statement st;
    std::vector<sql::value> params;
    std::vector<int16_t> formats;
    std::unique_ptr<sql::query_cursor> cursor;
    std::vector<sql::row> rows; ///< materialized (DML RETURNING, writer reads)
    size_t next_row = 0;
    bool executed = false;
    bool sql_cursor = false; ///< DECLAREd (closes with the transaction)
    bool hold = false;       ///< WITH HOLD: survives the transaction
    std::string tag;
  };
  struct copy_in_state {
    sql::statement insert;
    sql::copy_spec spec;
    std::string buffer;
    std::vector<std::vector<sql::value>> rows;
    bool header_skipped = false;
    bool binary_ended = false; ///< FORMAT BINARY: the trailer was read
  };

  enum class tx { idle, block, failed };

  // pg_frontend.cpp
  void refresh_catalog();
  sql::statement translate(const sql::parsed_statement& p,
                           const std::vector<uint32_t>& declared);
  void send_error(const sql::sql_error& e, bool extended);
  pgwire::tx_status current() const;
  void ensure_fresh(prepared& p);
  /// The principal's scopes for `st`: reads need data:read (or query),
  /// writes and DDL data:write. Throws 42501.
  void authorize(const sql::statement& st) const;
  /// Ranger's part of authorize (pg_frontend_ranger.cpp).
  void authorize_ranger(const sql::statement& st) const;
  /// INSERT and COPY FROM of a tenant at its documents quota: 53400.
  void check_storage(const sql::statement& st);
  /// A message about stored names, with the tenant's local names.
  std::string shown(std::string text) const;
  void fatal_now(const std::string& sqlstate, const std::string& message);

  // pg_frontend_exec.cpp
  /// Runs a statement to completion or to `max_rows`; writes rows and the
  /// completion to out. Returns false if the portal is suspended.
  bool run(portal& p, size_t max_rows, bool describe);
  bool run_traced(portal& p, size_t max_rows, bool describe);
  bool run_portal(portal& p, size_t max_rows, bool describe);
  void start(portal& p);
  void run_write(portal& p);
  void run_tx_statement(portal& p);
  void run_session_statement(portal& p);
  void run_cursor_statement(portal& p);
  void close_transaction_cursors();
  void drop_overlay();
  void send_row_description(const std::vector<sql::column>& cols,
                            const std::vector<int16_t>& formats);
  void send_row(const sql::row& r, const std::vector<sql::column>& cols,
                const std::vector<int16_t>& formats);
  sql_tx_reply tx_call(sql_tx_request::op what,
                       std::shared_ptr<sql::write_job> job = nullptr,
                       std::string name = {});
  void after_error();
  std::vector<sql::value> decode_params(const pgwire::bind_msg& m,
                                        const std::vector<uint32_t>& types);

  // pg_frontend_copy.cpp
  void start_copy_in(portal& p);
  void run_copy_out(portal& p);
  void parse_copy_lines(bool final);

  pg_frontend_options opts_;
  pg_backend_port& port_;
  pgwire::pg_session session_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<sql::statement_cache> stmts_;
  sql::catalog cat_;
  bool cat_overlay_ = false; ///< DDL of the open transaction applied locally
  uint64_t overlay_generation_ = 0;
  sql::session_info info_;
  principal who_;
  std::map<std::string, std::string> defaults_;
  std::map<std::string, std::shared_ptr<prepared>> statements_;
  std::map<std::string, std::unique_ptr<portal>> portals_;
  tx tx_ = tx::idle;
  /// When the open transaction block began (BEGIN), for its duration.
  std::chrono::steady_clock::time_point tx_started_;
  /// A transaction block ended: its duration goes to the metrics.
  void count_transaction(bool committed);
  bool pinned_ = false; ///< the writer holds our transaction
  /// A REPEATABLE READ / SERIALIZABLE block's reads share one SQLite read
  /// transaction on db_ (pg_frontend_snapshot.cpp, issue 36: pg_dump's
  /// consistent snapshot): opened at the block's first statement after
  /// its isolation level is set, closed when the block ends.
  bool snapshot_ = false;
  void snapshot_settle();
  // -- issue 36 (pg_frontend_notify.cpp) -------------------------------------
  class notify_hooks;
  /// run() with LISTEN/NOTIFY/UNLISTEN applied (at COMMIT inside a
  /// transaction block) and the activity pg_stat_activity shows.
  bool run_observed(portal& p, size_t max_rows, bool describe);
  /// Notifications, then ReadyForQuery.
  void ready();
  /// pg_terminate_backend asked this session to end.
  bool terminating() const;
  void deliver_notifications();
  void set_active(const std::string& query);
  /// Authenticated: the registry shows who this session is.
  void publish_identity();
  /// The open transaction's LISTEN/UNLISTEN/NOTIFY, applied at its end.
  struct pending_op {
    char kind; ///< 'L'isten, 'U'nlisten, 'N'otify
    std::string channel, payload;
  };
  void apply_pending(bool commit);
  pg_sessions* sessions_ = nullptr;
  std::shared_ptr<pg_backend_entry> me_;
  std::shared_ptr<notify_hooks> hooks_;
  std::vector<pending_op> pending_;
  std::unique_ptr<copy_in_state> copy_;
  /// The statements of a simple Query still to run after its COPY FROM.
  std::vector<sql::parsed_statement> rest_;
  void run_statements(std::vector<sql::parsed_statement> stmts, size_t from);
  // -- the simple-protocol translation cache (pg_frontend_cache.cpp) --------
  /// Runs a Query whose shape was learnt with its integer literals bound
  /// (true: done, ReadyForQuery sent); false: run it the usual way.
  bool run_cached_query(const std::string& text);
  std::shared_ptr<sql::literal_cache> lit_cache_;
  std::shared_ptr<prepared> cached_marker_; ///< p.stmt of cached portals

  // -- settings (pg_frontend_settings.cpp, issue 36) -------------------------
  /// Startup-packet parameters and `options` (-c key=value). Throws.
  void apply_startup_settings(const pgwire::startup_packet& p);
  /// SET (SET LOCAL: until the transaction ends; outside one a WARNING).
  void set_setting(const std::string& name, const std::string& value,
                   bool local);
  void reset_setting(const std::string& name);
  /// The transaction ended: SET LOCAL values revert.
  void end_local_settings();
  /// idle_in_transaction_session_timeout: FATAL 25P03 once a transaction
  /// block has waited for the client that long.
  void check_idle_in_transaction();
  /// Since when the session waits for the client (ReadyForQuery sent).
  std::optional<std::chrono::steady_clock::time_point> idle_since_;
  /// statement_timeout of this session in ms (0: none).
  int64_t statement_timeout_ms() const;
  /// Values before the transaction's SET LOCAL, restored at its end.
  std::map<std::string, std::string> local_saved_;

  // -- the implicit transaction of an extended-query batch (issue 36;
  // pg_frontend_batch.cpp) -------------------------------------------------
  /// Inside on_execute: a write that is not the last message before Sync
  /// opens the batch's implicit transaction (the writer holds it).
  bool executing_ = false;
  /// The batch's writes hold the writer outside a BEGIN block.
  bool implicit_open() const { return pinned_ && tx_ == tx::idle; }
  /// Sync (or the end of a simple Query): the implicit transaction commits;
  /// its error goes to the client before ReadyForQuery.
  void finish_batch();
  /// An error in the batch: its writes are rolled back at once.
  void rollback_implicit();

  // -- DO blocks, SQL PREPARE / EXECUTE / DEALLOCATE (issue 36;
  // pg_frontend_do.cpp) ------------------------------------------------------
  class do_host;
  /// Inside a DO block: its writes run in one writer transaction.
  int do_depth_ = 0;
  void run_do_block(portal& p);
  void run_prepare(portal& p);
  void run_execute(portal& p);
  void run_deallocate(portal& p);
  /// EXECUTE name: the prepared statement's result columns (Describe).
  void describe_execute(sql::statement& st);
  /// Runs a started portal to its end: its rows.
  std::vector<sql::row> drain(portal& p);

  // -- databases (issue 36; pg_frontend_database.cpp) ------------------------
  /// The configured pg.database, postgres or template1: the global
  /// namespace.
  bool is_default_database(const std::string& name) const;
  /// Startup: the database the client named decides the namespace (a
  /// tenant's, a CREATE DATABASE one's "name.", or the global one).
  /// Throws sql_error (sent as FATAL).
  void open_database(const std::string& name);
  /// ALTER DATABASE … SET values of the database, before the startup
  /// packet's.
  void apply_database_settings();
  /// The namespace LISTEN/NOTIFY and the change channels are scoped by
  /// (the tenant's or the database's name; "": the global one).
  std::string listen_scope() const;
  /// CREATE / DROP / ALTER DATABASE.
  void run_database_statement(portal& p);
  void alter_database(const sql::statement& st, sql::database_def& def);
  /// Other sessions connected to database `name`.
  std::vector<std::shared_ptr<pg_backend_entry>>
  sessions_on(const std::string& name) const;
  /// 55006 if other sessions use `name`; `force` terminates them first.
  void check_unused(const std::string& name, bool force);
  std::map<std::string, std::string> db_settings_;

public:
  // -- temporary tables (issue 36; pg_frontend_temp.cpp) ---------------------
  /// The client went away: the session's temp tables are dropped (through
  /// the store writer; what a crash leaves is purged when the store opens).
  void drop_temp_tables();

private:
  /// A statement about to run writes a temp table with an ON COMMIT
  /// action (or creates one): the transaction's end must apply it.
  void temp_mark(const sql::statement& st);
  /// Outside any transaction: applies pending ON COMMIT DROP / DELETE ROWS
  /// before the session's next statement can see the tables.
  void temp_settle();
  /// Runs a DROP TABLE / TRUNCATE of own temp tables as an autocommit write.
  void temp_write(sql::stmt_kind kind, std::vector<std::string> names);
  /// Error and notice texts: the session's temp tables by local name.
  void strip_temp_prefix(std::string& text) const;
  /// DISCARD ALL and DISCARD TEMP drop the session's temp tables; true if
  /// that was all the statement asks (DISCARD TEMP).
  bool discard_temp(const std::string& tag);
  bool temp_dirty_ = false;
};

} // namespace themis
