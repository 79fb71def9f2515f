#include "protocols/pgwire/pg_session.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "protocols/pgwire/scram.hpp"

namespace themis::pgwire {

namespace {

std::string md5_hex(std::string_view in) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(in.data(), in.size(), d, &n, EVP_md5(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  return out;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_verifier(const std::string& c) {
  return c.rfind("SCRAM-SHA-256$", 0) == 0;
}

} // namespace

bool is_utf8_name(std::string_view name) {
  std::string n;
  for (char c : name)
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))
      n.push_back(c);
    else if (c >= 'A' && c <= 'Z')
      n.push_back(static_cast<char>(c - 'A' + 'a'));
  return n == "utf8" || n == "unicode";
}

pg_session::pg_session(pg_session_options opts, pg_session_callbacks& cb) :
  opts_(std::move(opts)), cb_(cb) {
  started_ms_ = cb_.now_ms();
}

pg_session::~pg_session() = default;

void pg_session::flush_out() {
  if (!out_.empty())
    cb_.send(std::move(out_));
  out_.clear();
}

void pg_session::fatal(std::string sqlstate, std::string message) {
  error_fields e;
  e.severity = "FATAL";
  e.sqlstate = std::move(sqlstate);
  e.message = std::move(message);
  put_error(out_, e);
  flush_out();
  state_ = state::closed;
  cb_.close();
}

void pg_session::on_data(std::string_view bytes) {
  if (state_ == state::closed)
    return;
  in_.append(bytes);
  if (processing_)
    return; // the outer call goes on with what was appended
  processing_ = true;
  size_t pos = 0;
  while (state_ != state::closed && state_ != state::busy && pos < in_.size()) {
    std::string_view rest(in_.data() + pos, in_.size() - pos);
    decode_error err;
    size_t used = 0;
    startup_packet p;
    frame f;
    bool in_startup = state_ == state::startup;
    auto st = in_startup ? decode_startup(rest, opts_.limits, p, used, err)
                         : decode_frame(rest, opts_.limits, f, used, err);
    if (st == decode_status::need_more)
      break;
    if (st == decode_status::error) {
      if (in_startup && err.message.rfind("invalid length", 0) == 0) {
        // as PostgreSQL: a startup packet of impossible length (a stray
        // Terminate, a non-PostgreSQL client) is logged, not answered
        cb_.on_bad_startup(err.message);
        state_ = state::closed;
        cb_.close();
        break;
      }
      fatal(err.sqlstate, err.message);
      break;
    }
    pos += used;
    read_pos_ = pos;
    if (in_startup && p.kind == startup_kind::ssl_request &&
        opts_.tls_available && !tls_started_ && pos < in_.size()) {
      // bytes sent after SSLRequest before the handshake are clear text
      // an attacker could have injected (CVE-2021-23214)
      fatal("08P01", "received unencrypted data after SSL request");
      break;
    }
    if (in_startup)
      handle_startup(p);
    else if (state_ == state::ready)
      handle_message(f);
    else if (state_ == state::copy_in)
      handle_copy(f);
    else
      handle_auth(f);
    flush_out();
  }
  in_.erase(0, pos);
  read_pos_ = 0;
  processing_ = false;
  flush_out();
}

char pg_session::next_message_type() const {
  size_t at = read_pos_;
  while (at + 5 <= in_.size()) {
    char type = in_[at];
    if (type != 'H')
      return type;
    auto b = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(in_[at + i]));
    };
    at += 1 + ((b(1) << 24) | (b(2) << 16) | (b(3) << 8) | b(4));
  }
  return at < in_.size() && in_[at] != 'H' ? in_[at] : 0;
}

void pg_session::check_timeouts() {
  if (state_ != state::startup && state_ != state::auth_password &&
      state_ != state::auth_sasl_first && state_ != state::auth_sasl_final &&
      state_ != state::auth_gss)
    return;
  if (cb_.now_ms() - started_ms_ >= opts_.startup_timeout_ms)
    fatal("08006", "canceling authentication due to timeout");
}

void pg_session::handle_startup(const startup_packet& p) {
  switch (p.kind) {
    case startup_kind::ssl_request:
      if (tls_started_)
        return fatal("08P01", "SSLRequest inside TLS");
      if (opts_.tls_available) {
        out_.push_back('S');
        tls_started_ = true;
        cb_.on_start_tls();
        return;
      }
      out_.push_back('N'); // no TLS configured: the client continues in plain
      return;
    case startup_kind::gssenc_request:
      out_.push_back('N'); // no GSS encryption
      return;
    case startup_kind::cancel:
      cb_.on_cancel(p.cancel_pid, p.cancel_key);
      state_ = state::closed;
      cb_.close();
      return;
    case startup_kind::startup:
      break;
  }
  startup_ = p;
  std::vector<std::string> unknown;
  for (auto& [k, v] : p.params)
    if (k.rfind("_pq_.", 0) == 0)
      unknown.push_back(k);
  if (p.minor > 0 || !unknown.empty())
    put_negotiate_version(out_, 0, unknown);
  auto user = p.param("user");
  if (!user || user->empty()) {
    fatal("28000", "no PostgreSQL user name specified in startup packet");
    return;
  }
  if (auto enc = p.param("client_encoding"); enc && !is_utf8_name(*enc)) {
    fatal("22023", "client_encoding " + *enc + " is not supported: only UTF8");
    return;
  }
  begin_auth();
}

void pg_session::begin_auth() {
  auto cred = cb_.credential(*startup_.param("user"));
  auto method = cb_.method_for(*startup_.param("user")).value_or(opts_.auth);
  if (method != auth_method::trust &&
      cb_.certificate_proves(*startup_.param("user"))) {
    finish_auth();
    return;
  }
  if (!cred && method != auth_method::trust && method != auth_method::gss &&
      cb_.tokens_accepted()) {
    // not a password user: the password is a token (libpq sends it as
    // asked; use TLS, as for any cleartext password)
    token_auth_ = true;
    put_auth_cleartext(out_);
    state_ = state::auth_password;
    return;
  }
  // PostgreSQL's rule: an MD5 request against a SCRAM verifier uses SCRAM.
  if (method == auth_method::md5 && cred && is_verifier(*cred))
    method = auth_method::scram_sha_256;
  switch (method) {
    case auth_method::trust:
      finish_auth();
      return;
    case auth_method::password:
      put_auth_cleartext(out_);
      state_ = state::auth_password;
      return;
    case auth_method::md5:
      md5_salt_ = cb_.random_bytes(4);
      md5_salt_.resize(4, '\0');
      put_auth_md5(out_, md5_salt_.data());
      state_ = state::auth_password;
      return;
    case auth_method::scram_sha_256:
      put_auth_sasl(out_, {"SCRAM-SHA-256"});
      state_ = state::auth_sasl_first;
      return;
    case auth_method::gss:
      put_auth_gss(out_);
      state_ = state::auth_gss;
      return;
  }
}

void pg_session::handle_auth(const frame& f) {
  if (f.type != 'p') {
    fatal("08P01", std::string("expected a password response, got message "
                               "type '") +
                     f.type + "'");
    return;
  }
  if (state_ == state::auth_gss)
    return handle_gss(f);
  auto& user = *startup_.param("user");
  auto refused = [&] {
    cb_.on_auth_failed(user);
    fatal("28P01", "password authentication failed for user \"" + user + "\"");
  };
  decode_error err;
  auto cred = cb_.credential(user);
  if (state_ == state::auth_password) {
    std::string given;
    if (!decode_password(f.payload, given, err))
      return fatal(err.sqlstate, err.message);
    if (token_auth_)
      return cb_.check_token(user, given) ? finish_auth() : refused();
    if (!cred)
      return refused();
    bool ok = false;
    if (opts_.auth == auth_method::md5 && !is_verifier(*cred)) {
      ok = same(given, "md5" + md5_hex(md5_hex(*cred + user) + md5_salt_));
    } else if (is_verifier(*cred)) {
      auto v = scram_secret::parse(*cred);
      ok =
        v &&
        same(
          scram_secret::from_password(given, v->salt, v->iterations).stored_key,
          v->stored_key);
    } else {
      ok = same(given, *cred);
    }
    return ok ? finish_auth() : refused();
  }
  if (state_ == state::auth_sasl_first) {
    sasl_initial si;
    if (!decode_sasl_initial(f.payload, si, err))
      return fatal(err.sqlstate, err.message);
    if (si.mechanism != "SCRAM-SHA-256")
      return fatal("28000", "SASL authentication mechanism " + si.mechanism +
                              " is not supported");
    if (!si.data)
      return fatal("08P01", "SCRAM needs an initial client response");
    std::optional<scram_secret> secret;
    if (cred)
      secret = is_verifier(*cred)
                 ? scram_secret::parse(*cred)
                 : scram_secret::from_password(*cred, cb_.random_bytes(16));
    if (!secret) // unknown user: a secret nobody knows, so it fails late
      secret =
        scram_secret::from_password(cb_.random_bytes(32), cb_.random_bytes(16));
    scram_ = std::make_unique<scram_server>(
      *secret, base64_encode(cb_.random_bytes(18)));
    auto reply = scram_->first(*si.data);
    if (!reply)
      return fatal("08P01", scram_->error());
    put_auth_sasl_continue(out_, *reply);
    state_ = state::auth_sasl_final;
    return;
  }
  // auth_sasl_final: the whole payload is the client-final-message
  auto reply = scram_->final(f.payload);
  if (!reply || !scram_->authenticated())
    return scram_->error() == "password authentication failed"
             ? refused()
             : fatal("08P01", scram_->error());
  put_auth_sasl_final(out_, *reply);
  finish_auth();
}

void pg_session::finish_auth() {
  put_auth_ok(out_);
  // the SQL layer may refuse the session (unknown database): it sends a
  // FATAL and closes; nothing after AuthenticationOk then
  state_ = state::ready;
  cb_.on_authenticated(startup_);
  if (state_ == state::closed)
    return;
  auto app = startup_.param("application_name");
  auto& user = *startup_.param("user");
  for (auto [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
         {"server_version", opts_.server_version},
         {"server_encoding", "UTF8"},
         {"client_encoding", "UTF8"},
         {"DateStyle", "ISO, MDY"},
         {"IntervalStyle", "postgres"},
         {"integer_datetimes", "on"},
         {"standard_conforming_strings", "on"},
         {"TimeZone", opts_.time_zone},
         {"is_superuser", "off"},
         {"session_authorization", user},
         {"application_name", app ? *app : std::string()}}) {
    auto mine = cb_.reported_value(k);
    put_parameter_status(out_, k, mine ? *mine : v);
  }
  put_backend_key(out_, opts_.backend_pid, opts_.backend_key);
  put_ready(out_, tx_status::idle);
  state_ = state::ready;
  scram_.reset();
}

void pg_session::handle_message(const frame& f) {
  if (skip_to_sync_) {
    // after an error in an extended-query batch everything up to Sync is
    // discarded (protocol §55.2.3)
    if (f.type == 'S') {
      skip_to_sync_ = false;
      state_ = state::busy;
      cb_.on_sync();
    } else if (f.type == 'X') {
      state_ = state::closed;
      cb_.close();
    }
    return;
  }
  decode_error err;
  switch (f.type) {
    case 'Q': {
      std::string sql;
      if (!decode_query(f.payload, sql, err))
        return fatal(err.sqlstate, err.message);
      state_ = state::busy;
      flush_out();
      cb_.on_query(std::move(sql));
      return;
    }
    case 'X':
      state_ = state::closed;
      cb_.close();
      return;
    case 'S':
      state_ = state::busy;
      cb_.on_sync();
      return;
    case 'H':
      flush_out();
      return;
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
      handle_extended(f);
      return;
    case 'F': {
      error_fields e;
      e.sqlstate = "0A000";
      e.message = "the fast-path function call interface is not supported";
      put_error(out_, e);
      put_ready(out_, cb_.status());
      return;
    }
    case 'd':
    case 'c':
    case 'f':
      return; // copy messages outside COPY are ignored, as PostgreSQL does
    default:
      fatal("08P01", std::string("invalid frontend message type ") +
                       std::to_string(static_cast<unsigned char>(f.type)));
  }
}

void pg_session::rows(
  const std::vector<field_desc>& fields,
  const std::vector<std::vector<std::optional<std::string>>>& data) {
  put_row_description(out_, fields);
  for (auto& r : data)
    put_data_row(out_, r);
  flush_out();
}

void pg_session::complete(std::string_view tag) {
  put_command_complete(out_, tag);
  flush_out();
}

void pg_session::empty_query() {
  put_empty_query(out_);
  flush_out();
}

void pg_session::error(const error_fields& e) {
  put_error(out_, e);
  flush_out();
}

void pg_session::notice(const error_fields& e) {
  put_notice(out_, e);
  flush_out();
}

void pg_session::query_done(tx_status status) {
  if (state_ != state::busy && state_ != state::copy_in)
    return;
  put_ready(out_, status);
  state_ = state::ready;
  flush_out();
  if (!processing_)
    on_data({}); // messages that arrived while the query ran
}

void pg_session::extended_error(const error_fields& e) {
  put_error(out_, e);
  skip_to_sync_ = true;
}

void pg_session::handle_extended(const frame& f) {
  decode_error err;
  switch (f.type) {
    case 'P': {
      parse_msg m;
      if (!decode_parse(f.payload, opts_.limits, m, err))
        return fatal(err.sqlstate, err.message);
      cb_.on_parse(m);
      return;
    }
    case 'B': {
      bind_msg m;
      if (!decode_bind(f.payload, opts_.limits, m, err))
        return fatal(err.sqlstate, err.message);
      cb_.on_bind(m);
      return;
    }
    case 'D':
    case 'C': {
      describe_msg m;
      if (!decode_describe(f.payload, m, err))
        return fatal(err.sqlstate, err.message);
      if (f.type == 'D')
        cb_.on_describe(m);
      else
        cb_.on_close(m);
      return;
    }
    case 'E': {
      execute_msg m;
      if (!decode_execute(f.payload, m, err))
        return fatal(err.sqlstate, err.message);
      cb_.on_execute(m);
      return;
    }
  }
}

void pg_session::handle_copy(const frame& f) {
  switch (f.type) {
    case 'd':
      cb_.on_copy_data(f.payload);
      return;
    case 'c':
      cb_.on_copy_done();
      return;
    case 'f': {
      std::string msg;
      decode_error err;
      if (!decode_copy_fail(f.payload, msg, err))
        return fatal(err.sqlstate, err.message);
      cb_.on_copy_fail(msg);
      return;
    }
    case 'H':
    case 'S':
      return; // allowed during COPY IN and ignored (protocol §55.2.6)
    case 'X':
      state_ = state::closed;
      cb_.close();
      return;
    default: {
      error_fields e;
      e.sqlstate = "08P01";
      e.message = std::string("unexpected message type 0x") +
                  "0123456789abcdef"[(f.type >> 4) & 15] +
                  "0123456789abcdef"[f.type & 15] + " during COPY from stdin";
      state_ = state::busy;
      cb_.on_copy_fail(e.message);
    }
  }
}

} // namespace themis::pgwire
