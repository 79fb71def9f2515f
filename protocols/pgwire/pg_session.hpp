#pragma once
/// One PostgreSQL client connection as a state machine: startup (SSL and
/// GSS encryption requests answered 'N' until TLS lands, cancel requests,
/// protocol version negotiation), authentication (trust, cleartext, MD5,
/// SCRAM-SHA-256, GSSAPI through a callback), the session parameters every
/// driver reads, and the simple-query cycle. Bytes in, bytes out through
/// `pg_session_callbacks`; no sockets, no actors: tests feed bytes and read
/// what was sent.
///
/// The SQL layer answers a query through `rows`/`complete`/`error` and
/// ends it with `query_done`, which sends ReadyForQuery with the
/// transaction status it reports.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/pgwire/pg_codec.hpp"

namespace themis::pgwire {

class scram_server;

/// Whether a client_encoding names UTF8 as PostgreSQL reads encoding names:
/// case and punctuation ignored ("UTF8", "utf-8", "Utf_8"), or "unicode".
bool is_utf8_name(std::string_view name);

enum class auth_method { trust, password, md5, scram_sha_256, gss };

/// What one GSSAPI step (pg_session_callbacks::gss_step) came to.
enum class gss_status { continue_needed, ok, failed };

struct pg_session_options {
  codec_limits limits;
  auth_method auth = auth_method::scram_sha_256;
  std::string server_version = "15.0 (themis)";
  std::string time_zone = "UTC";
  int32_t backend_pid = 1;
  int32_t backend_key = 0;
  uint32_t startup_timeout_ms = 10000; ///< connect to authenticated
  /// SSLRequest is answered 'S' (and on_start_tls called) instead of 'N'.
  bool tls_available = false;
};

class pg_session_callbacks {
public:
  virtual ~pg_session_callbacks() = default;
  virtual void send(std::string bytes) = 0;
  /// Close after what was sent has been written.
  virtual void close() = 0;
  virtual uint64_t now_ms() = 0;
  /// 'S' was queued: once it is written, the connection speaks TLS.
  virtual void on_start_tls() {}
  /// The stored credential of `user`: a plain password or a SCRAM
  /// verifier ("SCRAM-SHA-256$…"); nullopt for an unknown user (answered
  /// like a wrong password: no user enumeration).
  virtual std::optional<std::string> credential(const std::string& user) = 0;
  /// Whether a user with no stored credential may give a token (a JWT or
  /// an API key, issue 9) as its password: the session then asks for a
  /// cleartext password and passes it to check_token.
  virtual bool tokens_accepted() { return false; }
  virtual bool check_token(const std::string& user, const std::string& token) {
    (void)user;
    (void)token;
    return false;
  }
  /// Whether a verified TLS client certificate names `user` (its CN, as
  /// PostgreSQL's `cert` method): then no password is asked for.
  virtual bool certificate_proves(const std::string& user) {
    (void)user;
    return false;
  }
  /// The method for `user` by the pg.auth_rules line matching it and the
  /// client's address; nullopt: pg_session_options::auth.
  virtual std::optional<auth_method> method_for(const std::string& user) {
    (void)user;
    return std::nullopt;
  }
  /// One GSSAPI step (auth_method::gss): the client's token in, the token
  /// to send back in `out` (may be empty). `ok` once the Kerberos
  /// principal is proven and maps to `user`. A failure's reason is the
  /// callback's to log: the client gets 28000 without detail.
  virtual gss_status gss_step(const std::string& user, std::string_view token,
                              std::string& out) {
    (void)user;
    (void)token;
    (void)out;
    return gss_status::failed;
  }
  /// Authentication failed (28P01 goes out): for the audit log.
  virtual void on_auth_failed(const std::string& user) { (void)user; }
  /// 16 random bytes for salts and nonces.
  virtual std::string random_bytes(size_t n) = 0;
  /// A startup packet that cannot be one (its length): the connection
  /// closes without an answer; this is for the log.
  virtual void on_bad_startup(const std::string& why) { (void)why; }
  /// A CancelRequest arrived on this (otherwise unused) connection.
  virtual void on_cancel(int32_t pid, int32_t key) = 0;
  /// Authenticated; the session parameters have been sent.
  virtual void on_authenticated(const startup_packet& startup) {}
  /// The session's value of a reported parameter after on_authenticated
  /// (startup parameters and `options` may have set it); nullopt: the
  /// session's default.
  virtual std::optional<std::string> reported_value(const std::string& name) {
    (void)name;
    return std::nullopt;
  }
  /// A simple Query message (may hold several statements).
  virtual void on_query(std::string sql) = 0;
  // The extended query protocol. Each answers through out() (and
  // extended_error() on failure, which discards messages up to Sync).
  virtual void on_parse(parse_msg& m) = 0;
  virtual void on_bind(bind_msg& m) = 0;
  virtual void on_describe(const describe_msg& m) = 0;
  virtual void on_execute(const execute_msg& m) = 0;
  virtual void on_close(const describe_msg& m) = 0;
  /// Sync: end the implicit transaction and call query_done().
  virtual void on_sync() = 0;
  // COPY FROM STDIN, after begin_copy_in().
  virtual void on_copy_data(std::string_view data) = 0;
  virtual void on_copy_done() = 0;
  virtual void on_copy_fail(const std::string& message) = 0;
  /// The transaction status for a ReadyForQuery the session sends itself.
  virtual tx_status status() { return tx_status::idle; }
};

class pg_session {
public:
  pg_session(pg_session_options opts, pg_session_callbacks& cb);
  ~pg_session();

  void on_data(std::string_view bytes);
  /// Startup timeout (call periodically).
  void check_timeouts();

  // -- answering a query (the SQL layer) ------------------------------------
  void rows(const std::vector<field_desc>& fields,
            const std::vector<std::vector<std::optional<std::string>>>& data);
  void complete(std::string_view tag);
  void empty_query();
  void error(const error_fields& e);
  void notice(const error_fields& e);
  /// Ends the current query: ReadyForQuery with `status`.
  void query_done(tx_status status);
  /// An error in an extended-query message: skip to the next Sync.
  void extended_error(const error_fields& e);
  /// The query switched to COPY IN (CopyInResponse already in out()).
  void begin_copy_in() { state_ = state::copy_in; }
  /// Bytes to send (encoders append; flushed after each callback).
  std::string& out() { return out_; }
  void flush() { flush_out(); }
  /// Closed now (after a FATAL the SQL layer sent): nothing more is read.
  void close_now() { state_ = state::closed; }

  bool authenticated() const {
    return state_ == state::ready || state_ == state::busy;
  }
  bool closed() const { return state_ == state::closed; }
  const startup_packet& startup() const { return startup_; }
  /// The type of the next message already received, Flushes skipped (0:
  /// none yet): an Execute followed by its Sync is a batch of one statement
  /// (issue 36, the implicit transaction).
  char next_message_type() const;

private:
  enum class state {
    startup,
    auth_password,
    auth_sasl_first,
    auth_sasl_final,
    auth_gss,
    ready,
    busy,
    copy_in,
    closed
  };

  void handle_startup(const startup_packet& p);
  void begin_auth();
  void handle_auth(const frame& f);
  void handle_gss(const frame& f); ///< pg_session_gss.cpp
  void finish_auth();
  void handle_message(const frame& f);
  void fatal(std::string sqlstate, std::string message);
  void flush_out();

  pg_session_options opts_;
  pg_session_callbacks& cb_;
  bool tls_started_ = false;
  state state_ = state::startup;
  std::string in_;
  std::string out_;
  startup_packet startup_;
  std::string md5_salt_;
  bool token_auth_ = false; ///< the cleartext password asked for is a token
  std::unique_ptr<scram_server> scram_;
  int gss_rounds_ = 0; ///< GSSResponse messages taken (bounded)
  uint64_t started_ms_ = 0;
  bool skip_to_sync_ = false; ///< after an extended-protocol error
  bool processing_ = false;   ///< inside on_data (no re-entry)
  size_t read_pos_ = 0;       ///< in_ up to here is handled (inside on_data)
  void handle_copy(const frame& f);
  void handle_extended(const frame& f);
};

} // namespace themis::pgwire
