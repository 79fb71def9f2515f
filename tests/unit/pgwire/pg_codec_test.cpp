/// PostgreSQL protocol 3.0 codec: startup packets, frames, each frontend
/// message, each backend message byte for byte, and a block of malformed
/// inputs (each must be refused with 08P01 or 0A000, never crash).

#include <gtest/gtest.h>

#include "pg_test_bytes.hpp"
#include "protocols/pgwire/pg_codec.hpp"

using namespace themis::pgwire;
using namespace pg_test;

namespace {} // namespace

TEST(pg_startup, startup_message_with_parameters) {
  auto p = packet(i32(protocol_3_0) + cstr("user") + cstr("alice") +
                  cstr("database") + cstr("db") + cstr("application_name") +
                  cstr("psql") + std::string(1, '\0'));
  startup_packet s;
  size_t used = 0;
  decode_error err;
  ASSERT_EQ(decode_startup(p + "extra", {}, s, used, err), decode_status::ok);
  EXPECT_EQ(used, p.size());
  EXPECT_EQ(s.kind, startup_kind::startup);
  EXPECT_EQ(s.major, 3);
  EXPECT_EQ(s.minor, 0);
  ASSERT_TRUE(s.param("user"));
  EXPECT_EQ(*s.param("user"), "alice");
  EXPECT_EQ(*s.param("application_name"), "psql");
  EXPECT_FALSE(s.param("options"));
}

TEST(pg_startup, ssl_gss_and_cancel_requests) {
  startup_packet s;
  size_t used = 0;
  decode_error err;
  ASSERT_EQ(decode_startup(packet(i32(ssl_request_code)), {}, s, used, err),
            decode_status::ok);
  EXPECT_EQ(s.kind, startup_kind::ssl_request);
  ASSERT_EQ(decode_startup(packet(i32(gssenc_request_code)), {}, s, used, err),
            decode_status::ok);
  EXPECT_EQ(s.kind, startup_kind::gssenc_request);
  ASSERT_EQ(decode_startup(packet(i32(cancel_request_code) + i32(42) + i32(-7)),
                           {}, s, used, err),
            decode_status::ok);
  EXPECT_EQ(s.kind, startup_kind::cancel);
  EXPECT_EQ(s.cancel_pid, 42);
  EXPECT_EQ(s.cancel_key, -7);
}

TEST(pg_startup, newer_minor_is_accepted_for_negotiation) {
  startup_packet s;
  size_t used = 0;
  decode_error err;
  ASSERT_EQ(
    decode_startup(packet(i32((3 << 16) | 2) + cstr("user") + cstr("u") +
                          cstr("_pq_.x") + cstr("1") + std::string(1, '\0')),
                   {}, s, used, err),
    decode_status::ok);
  EXPECT_EQ(s.minor, 2);
  EXPECT_EQ(s.params.size(), 2u);
}

TEST(pg_startup, partial_input_needs_more) {
  auto p =
    packet(i32(protocol_3_0) + cstr("user") + cstr("a") + std::string(1, '\0'));
  startup_packet s;
  size_t used = 0;
  decode_error err;
  for (size_t n = 0; n < p.size(); ++n)
    EXPECT_EQ(decode_startup(p.substr(0, n), {}, s, used, err),
              decode_status::need_more)
      << n;
}

TEST(pg_frame, frames_and_partial_input) {
  auto m = msg('Q', cstr("SELECT 1"));
  frame f;
  size_t used = 0;
  decode_error err;
  for (size_t n = 0; n < m.size(); ++n)
    EXPECT_EQ(decode_frame(m.substr(0, n), {}, f, used, err),
              decode_status::need_more);
  auto two = m + msg('S', ""); // the frame points into its input
  ASSERT_EQ(decode_frame(two, {}, f, used, err), decode_status::ok);
  EXPECT_EQ(f.type, 'Q');
  EXPECT_EQ(used, m.size());
  std::string sql;
  ASSERT_TRUE(decode_query(f.payload, sql, err));
  EXPECT_EQ(sql, "SELECT 1");
}

TEST(pg_frontend, parse_bind_describe_execute) {
  decode_error err;
  parse_msg p;
  ASSERT_TRUE(decode_parse(cstr("s1") + cstr("SELECT $1::int + $2") + i16(2) +
                             i32(23) + i32(0),
                           {}, p, err));
  EXPECT_EQ(p.name, "s1");
  EXPECT_EQ(p.param_types, (std::vector<uint32_t>{23, 0}));

  bind_msg b;
  ASSERT_TRUE(decode_bind(cstr("") + cstr("s1") + i16(1) + i16(1) + i16(2) +
                            i32(4) + i32(7) + i32(-1) + i16(1) + i16(0),
                          {}, b, err));
  EXPECT_EQ(b.statement, "s1");
  EXPECT_EQ(b.param_formats, (std::vector<int16_t>{1}));
  ASSERT_EQ(b.params.size(), 2u);
  EXPECT_EQ(*b.params[0], i32(7));
  EXPECT_FALSE(b.params[1]);
  EXPECT_EQ(b.result_formats, (std::vector<int16_t>{0}));

  describe_msg d;
  ASSERT_TRUE(decode_describe("P" + cstr("portal"), d, err));
  EXPECT_EQ(d.target, 'P');
  EXPECT_EQ(d.name, "portal");

  execute_msg e;
  ASSERT_TRUE(decode_execute(cstr("") + i32(100), e, err));
  EXPECT_EQ(e.max_rows, 100);

  sasl_initial si;
  ASSERT_TRUE(
    decode_sasl_initial(cstr("SCRAM-SHA-256") + i32(3) + "abc", si, err));
  EXPECT_EQ(si.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(*si.data, "abc");
  std::string pw;
  ASSERT_TRUE(decode_password(cstr("secret"), pw, err));
  EXPECT_EQ(pw, "secret");
}

TEST(pg_backend, messages_byte_for_byte) {
  std::string out;
  put_auth_ok(out);
  EXPECT_EQ(out, "R" + i32(8) + i32(0));
  out.clear();
  const char salt[4] = {1, 2, 3, 4};
  put_auth_md5(out, salt);
  EXPECT_EQ(out, "R" + i32(12) + i32(5) + std::string(salt, 4));
  out.clear();
  put_auth_sasl(out, {"SCRAM-SHA-256"});
  EXPECT_EQ(out, "R" + i32(23) + i32(10) + cstr("SCRAM-SHA-256") +
                   std::string(1, '\0'));
  out.clear();
  put_parameter_status(out, "server_version", "15.0 (themis)");
  EXPECT_EQ(out,
            "S" + i32(33) + cstr("server_version") + cstr("15.0 (themis)"));
  out.clear();
  put_backend_key(out, 7, 9);
  EXPECT_EQ(out, "K" + i32(12) + i32(7) + i32(9));
  out.clear();
  put_ready(out, tx_status::in_block);
  EXPECT_EQ(out, "Z" + i32(5) + "T");
  out.clear();
  put_row_description(out, {{"a", 0, 0, 23, 4, -1, 0}});
  EXPECT_EQ(out, "T" + i32(4 + 2 + 2 + 18) + i16(1) + cstr("a") + i32(0) +
                   i16(0) + i32(23) + i16(4) + i32(-1) + i16(0));
  out.clear();
  put_data_row(out, {std::string("42"), std::nullopt});
  EXPECT_EQ(out,
            "D" + i32(4 + 2 + 4 + 2 + 4) + i16(2) + i32(2) + "42" + i32(-1));
  out.clear();
  put_command_complete(out, "SELECT 1");
  EXPECT_EQ(out, "C" + i32(13) + cstr("SELECT 1"));
  out.clear();
  put_parse_complete(out);
  put_bind_complete(out);
  put_no_data(out);
  put_portal_suspended(out);
  EXPECT_EQ(out, "1" + i32(4) + "2" + i32(4) + "n" + i32(4) + "s" + i32(4));
  out.clear();
  error_fields missing;
  missing.sqlstate = "42P01";
  missing.message = "relation \"x\" does not exist";
  missing.position = 15;
  put_error(out, missing);
  auto body = "S" + cstr("ERROR") + "V" + cstr("ERROR") + "C" + cstr("42P01") +
              "M" + cstr("relation \"x\" does not exist") + "P" + cstr("15") +
              std::string(1, '\0');
  EXPECT_EQ(out, "E" + i32(static_cast<int32_t>(body.size() + 4)) + body);
  out.clear();
  put_copy_in(out, false, 2);
  EXPECT_EQ(out, "G" + i32(4 + 1 + 2 + 4) + std::string(1, '\0') + i16(2) +
                   i16(0) + i16(0));
}

TEST(pg_backend, error_object_fields) {
  std::string out;
  error_fields e;
  e.sqlstate = "23505";
  e.message = "duplicate key";
  e.detail = "Key (id)=(1) already exists.";
  e.schema = "public";
  e.table = "t";
  e.column = "";
  e.constraint = "t_pkey";
  put_error(out, e);
  auto body = "S" + cstr("ERROR") + "V" + cstr("ERROR") + "C" + cstr("23505") +
              "M" + cstr("duplicate key") + "D" +
              cstr("Key (id)=(1) already exists.") + "s" + cstr("public") +
              "t" + cstr("t") + "n" + cstr("t_pkey") + std::string(1, '\0');
  EXPECT_EQ(out, "E" + i32(static_cast<int32_t>(body.size() + 4)) + body);
}

TEST(pg_backend, embedded_nul_is_cut_not_sent) {
  std::string out;
  put_command_complete(out, std::string("A\0B", 3));
  EXPECT_EQ(out, "C" + i32(6) + cstr("A"));
}

// -- bad input ---------------------------------------------------------------

TEST(pg_bad_input, startup_packets) {
  codec_limits lim;
  for (auto& bad : std::vector<std::string>{
         i32(4),                                    // shorter than its own code
         i32(3) + i32(0),                           // length below 8
         i32(-1) + i32(protocol_3_0),               // negative
         i32(20000) + i32(protocol_3_0),            // over max_startup
         packet(i32(ssl_request_code) + "x"),       // SSL request with payload
         packet(i32(cancel_request_code) + i32(1)), // short cancel
         packet(i32(protocol_3_0) + cstr("user")),  // value missing
         packet(i32(protocol_3_0) + "user"),        // no terminator
         packet(i32(protocol_3_0) + cstr("u") + cstr("v") +
                std::string(1, '\0') + "junk"), // bytes after terminator
       }) {
    startup_packet s;
    size_t used = 0;
    decode_error err;
    auto st = decode_startup(bad, lim, s, used, err);
    if (bad.size() >= 4 && st == decode_status::need_more)
      continue; // a length that promises more than there is
    EXPECT_EQ(st, decode_status::error) << testing::PrintToString(bad);
    EXPECT_EQ(err.sqlstate, "08P01");
  }
  startup_packet s;
  size_t used = 0;
  decode_error err;
  EXPECT_EQ(decode_startup(packet(i32(2 << 16)), lim, s, used, err),
            decode_status::error);
  EXPECT_EQ(err.sqlstate, "0A000"); // protocol 2.0
}

TEST(pg_bad_input, frames) {
  codec_limits lim;
  lim.max_message = 100;
  frame f;
  size_t used = 0;
  decode_error err;
  EXPECT_EQ(decode_frame("Q" + i32(3), lim, f, used, err),
            decode_status::error);
  EXPECT_EQ(decode_frame("Q" + i32(-5), lim, f, used, err),
            decode_status::error);
  EXPECT_EQ(decode_frame("Q" + i32(101), lim, f, used, err),
            decode_status::error);
  EXPECT_EQ(err.sqlstate, "08P01");
  EXPECT_NE(err.message.find("limit"), std::string::npos);
}

TEST(pg_bad_input, typed_messages) {
  decode_error err;
  std::string s;
  EXPECT_FALSE(decode_query("no terminator", s, err));
  EXPECT_FALSE(decode_query(cstr("a") + "b", s, err));
  parse_msg p;
  EXPECT_FALSE(
    decode_parse(cstr("s") + cstr("q") + i16(2) + i32(1), {}, p, err));
  EXPECT_FALSE(decode_parse(cstr("s") + cstr("q") + i16(-1), {}, p, err));
  EXPECT_FALSE(decode_parse(cstr("s") + "q", {}, p, err));
  bind_msg b;
  EXPECT_FALSE(
    decode_bind(cstr("") + cstr("") + i16(1) + i16(7) + i16(0) + i16(0), {}, b,
                err)); // format 7
  EXPECT_FALSE(
    decode_bind(cstr("") + cstr("") + i16(0) + i16(1) + i32(50) + "short", {},
                b, err)); // value overruns
  EXPECT_FALSE(decode_bind(cstr("") + cstr("") + i16(0) + i16(1) + i32(-2), {},
                           b, err)); // length -2
  EXPECT_FALSE(
    decode_bind(cstr("") + cstr("") + i16(2) + i16(0) + i16(0) + i16(3), {}, b,
                err)); // 2 formats, 3 params
  EXPECT_FALSE(decode_bind(cstr("") + cstr("") + i16(0) + i16(0) + i16(1), {},
                           b, err)); // result format missing
  codec_limits tiny;
  tiny.max_params = 1;
  EXPECT_FALSE(decode_bind(cstr("") + cstr("") + i16(0) + i16(2) + i32(-1) +
                             i32(-1) + i16(0),
                           tiny, b, err));
  describe_msg d;
  EXPECT_FALSE(decode_describe("X" + cstr("n"), d, err));
  EXPECT_FALSE(decode_describe("", d, err));
  execute_msg e;
  EXPECT_FALSE(decode_execute(cstr("") + i32(-1), e, err));
  EXPECT_FALSE(decode_execute(cstr(""), e, err));
  sasl_initial si;
  EXPECT_FALSE(decode_sasl_initial(cstr("M") + i32(10) + "abc", si, err));
  EXPECT_FALSE(decode_sasl_initial(cstr("M") + i32(-2), si, err));
  EXPECT_EQ(err.sqlstate, "08P01");
}
