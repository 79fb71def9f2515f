#pragma once
/// PostgreSQL frontend/backend protocol 3.0: decoding what clients send
/// and encoding what the server answers. Pure functions over bytes (no
/// sockets, no CAF, no exceptions on the data plane): a decoder returns
/// ok / need_more / error, and an error carries the SQLSTATE the session
/// puts into its FATAL ErrorResponse (08P01 protocol_violation for
/// malformed input, 0A000 for unsupported versions). Limits arrive as a
/// small struct so a fuzzer can make them tiny.
/// Reference: PostgreSQL 15 docs, "Frontend/Backend Protocol", §55.7.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::pgwire {

struct codec_limits {
  uint32_t max_message = 16u << 20; ///< bytes, length field included
  uint32_t max_startup = 10000;     ///< PostgreSQL's own startup limit
  uint16_t max_params = 65535;      ///< Bind/Parse parameter count
};

enum class decode_status { ok, need_more, error };

struct decode_error {
  std::string sqlstate = "08P01";
  std::string message;
};

// -- startup phase (no type byte) ---------------------------------------------

enum class startup_kind { startup, ssl_request, gssenc_request, cancel };

constexpr int32_t protocol_3_0 = 196608; // 3 << 16
constexpr int32_t ssl_request_code = 80877103;
constexpr int32_t gssenc_request_code = 80877104;
constexpr int32_t cancel_request_code = 80877102;

struct startup_packet {
  startup_kind kind = startup_kind::startup;
  uint16_t major = 3;
  uint16_t minor = 0;
  /// user, database, application_name, options, … in order; `_pq_.*`
  /// protocol options included (the session negotiates them away).
  std::vector<std::pair<std::string, std::string>> params;
  int32_t cancel_pid = 0;
  int32_t cancel_key = 0;

  const std::string* param(std::string_view name) const;
};

/// Decodes the first packet of a connection (or the one after an SSL/GSS
/// refusal). `consumed` is set on ok.
decode_status decode_startup(std::string_view in, const codec_limits& lim,
                             startup_packet& out, size_t& consumed,
                             decode_error& err);

// -- regular messages ---------------------------------------------------------

struct frame {
  char type = 0;
  std::string_view payload; ///< points into the input
};

/// One typed message: type byte, Int32 length (>= 4, <= max_message).
decode_status decode_frame(std::string_view in, const codec_limits& lim,
                           frame& out, size_t& consumed, decode_error& err);

struct parse_msg {
  std::string name;
  std::string sql;
  std::vector<uint32_t> param_types; ///< 0: unspecified
};

struct bind_msg {
  std::string portal;
  std::string statement;
  std::vector<int16_t> param_formats;             ///< 0 text, 1 binary
  std::vector<std::optional<std::string>> params; ///< nullopt: NULL
  std::vector<int16_t> result_formats;
};

struct describe_msg { ///< also Close
  char target = 'S';  ///< 'S' statement, 'P' portal
  std::string name;
};

struct execute_msg {
  std::string portal;
  int32_t max_rows = 0; ///< 0: all
};

struct sasl_initial {
  std::string mechanism;
  std::optional<std::string> data; ///< nullopt: no initial response
};

/// Typed payload decoders: false with `err` on malformed payloads (a
/// missing terminator, a count that overruns, trailing bytes).
bool decode_query(std::string_view p, std::string& sql, decode_error& err);
bool decode_parse(std::string_view p, const codec_limits& lim, parse_msg& out,
                  decode_error& err);
bool decode_bind(std::string_view p, const codec_limits& lim, bind_msg& out,
                 decode_error& err);
bool decode_describe(std::string_view p, describe_msg& out, decode_error& err);
bool decode_execute(std::string_view p, execute_msg& out, decode_error& err);
bool decode_password(std::string_view p, std::string& out, decode_error& err);
bool decode_sasl_initial(std::string_view p, sasl_initial& out,
                         decode_error& err);
bool decode_copy_fail(std::string_view p, std::string& out, decode_error& err);

// -- backend messages (appended to `out`) -------------------------------------

enum class tx_status : char { idle = 'I', in_block = 'T', failed = 'E' };

void put_auth_ok(std::string& out);
void put_auth_cleartext(std::string& out);
void put_auth_md5(std::string& out, const char salt[4]);
void put_auth_sasl(std::string& out, const std::vector<std::string>& mechs);
void put_auth_sasl_continue(std::string& out, std::string_view data);
void put_auth_sasl_final(std::string& out, std::string_view data);
/// AuthenticationGSS (7) and AuthenticationGSSContinue (8, with the
/// acceptor's token), issue 24.
void put_auth_gss(std::string& out);
void put_auth_gss_continue(std::string& out, std::string_view token);
void put_parameter_status(std::string& out, std::string_view name,
                          std::string_view value);
void put_backend_key(std::string& out, int32_t pid, int32_t key);
void put_ready(std::string& out, tx_status s);
void put_negotiate_version(std::string& out, int32_t newest_minor,
                           const std::vector<std::string>& unknown_options);

struct field_desc {
  std::string name;
  uint32_t table_oid = 0;
  int16_t column = 0;
  uint32_t type_oid = 25; ///< text
  int16_t type_len = -1;
  int32_t type_mod = -1;
  int16_t format = 0;
};

void put_row_description(std::string& out, const std::vector<field_desc>& f);
/// One row: nullopt is SQL NULL.
void put_data_row(std::string& out,
                  const std::vector<std::optional<std::string>>& values);
void put_command_complete(std::string& out, std::string_view tag);
void put_empty_query(std::string& out);
void put_parse_complete(std::string& out);
void put_bind_complete(std::string& out);
void put_close_complete(std::string& out);
void put_no_data(std::string& out);
void put_portal_suspended(std::string& out);
void put_parameter_description(std::string& out,
                               const std::vector<uint32_t>& types);
void put_copy_in(std::string& out, bool binary, int16_t columns);
void put_copy_out(std::string& out, bool binary, int16_t columns);
void put_copy_data(std::string& out, std::string_view data);
void put_copy_done(std::string& out);

struct error_fields {
  std::string severity = "ERROR"; ///< ERROR, FATAL, PANIC; WARNING/NOTICE …
  std::string sqlstate = "XX000";
  std::string message;
  std::string detail;
  std::string hint;
  int32_t position = 0; ///< 1-based character position in the query; 0: none
  // the object an error is about (constraint violations): s, t, c, n
  std::string schema;
  std::string table;
  std::string column;
  std::string constraint;
};

void put_error(std::string& out, const error_fields& e);
void put_notice(std::string& out, const error_fields& e);

} // namespace themis::pgwire
