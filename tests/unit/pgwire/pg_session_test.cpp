/// The PostgreSQL session state machine with a fake peer: startup and
/// SSL refusal, each authentication method (right and wrong password),
/// the simple-query cycle, skip-to-Sync, cancel, and malformed input.

#include <cstring>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pg_test_bytes.hpp"
#include "protocols/pgwire/pg_session.hpp"
#include "protocols/pgwire/scram.hpp"

using namespace themis::pgwire;
using namespace pg_test;

namespace {

std::string startup(std::string user = "alice") {
  return packet(i32(protocol_3_0) + cstr("user") + cstr(user) +
                cstr("application_name") + cstr("psql") + std::string(1, '\0'));
}

struct fake_peer : pg_session_callbacks {
  std::string sent;
  bool closed = false;
  uint64_t now = 1000;
  std::optional<std::string> password = std::string("secret");
  std::vector<std::string> queries;
  int cancels = 0;

  void send(std::string b) override { sent += b; }
  void close() override { closed = true; }
  uint64_t now_ms() override { return now; }
  std::optional<std::string> credential(const std::string& user) override {
    return user == "alice" ? password : std::nullopt;
  }
  std::string random_bytes(size_t n) override { return std::string(n, 'r'); }
  void on_cancel(int32_t, int32_t) override { ++cancels; }
  void on_start_tls() override { ++tls_starts; }
  int tls_starts = 0;
  void on_query(std::string sql) override { queries.push_back(sql); }
  void on_parse(parse_msg& m) override { parsed.push_back(m.sql); }
  void on_bind(bind_msg&) override {}
  void on_describe(const describe_msg&) override {}
  void on_execute(const execute_msg&) override {}
  void on_close(const describe_msg&) override {}
  void on_sync() override { ++syncs; }
  void on_copy_data(std::string_view) override {}
  void on_copy_done() override {}
  void on_copy_fail(const std::string&) override {}
  std::vector<std::string> parsed;
  int syncs = 0;

  /// Splits what was sent into (type, payload), skipping a leading 'N'.
  std::vector<std::pair<char, std::string>> messages() {
    std::vector<std::pair<char, std::string>> out;
    size_t i = 0;
    if (!sent.empty() && sent[0] == 'N')
      i = 1;
    while (i + 5 <= sent.size()) {
      auto b = reinterpret_cast<const unsigned char*>(sent.data() + i + 1);
      size_t len = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) |
                   (size_t{b[2]} << 8) | b[3];
      out.emplace_back(sent[i], sent.substr(i + 5, len - 4));
      i += 1 + len;
    }
    return out;
  }
  std::string types() {
    std::string t;
    for (auto& [k, v] : messages())
      t.push_back(k);
    return t;
  }
  bool has_sqlstate(const std::string& code) {
    for (auto& [k, v] : messages())
      if ((k == 'E' || k == 'N') &&
          v.find("C" + code + '\0') != std::string::npos)
        return true;
    return false;
  }
};

pg_session_options with(auth_method m) {
  pg_session_options o;
  o.auth = m;
  o.backend_pid = 7;
  o.backend_key = 9;
  return o;
}

std::string md5_hex(std::string_view in) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(in.data(), in.size(), d, &n, EVP_md5(), nullptr);
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", d[i]);
    out += b;
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view m) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(m.data()), m.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

} // namespace

TEST(pg_session, ssl_refused_then_trust_login_sends_parameters) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(packet(i32(ssl_request_code)));
  EXPECT_EQ(peer.sent, "N");
  s.on_data(startup());
  EXPECT_TRUE(s.authenticated());
  auto t = peer.types();
  EXPECT_EQ(t.front(), 'R');
  EXPECT_EQ(t.substr(t.size() - 2), "KZ");
  EXPECT_NE(peer.sent.find(cstr("server_version") + cstr("15.0 (themis)")),
            std::string::npos);
  EXPECT_NE(peer.sent.find(cstr("application_name") + cstr("psql")),
            std::string::npos);
  EXPECT_NE(peer.sent.find(cstr("standard_conforming_strings") + cstr("on")),
            std::string::npos);
  EXPECT_EQ(peer.messages().back().second, "I");
}

TEST(pg_session, ssl_accepted_when_tls_is_configured) {
  fake_peer peer;
  auto o = with(auth_method::trust);
  o.tls_available = true;
  pg_session s(o, peer);
  s.on_data(packet(i32(ssl_request_code)));
  EXPECT_EQ(peer.sent, "S");
  EXPECT_EQ(peer.tls_starts, 1);
  s.on_data(startup()); // (decrypted by the owner)
  EXPECT_TRUE(s.authenticated());
  // a second SSLRequest inside TLS is a protocol violation
  fake_peer again;
  pg_session t(o, again);
  t.on_data(packet(i32(ssl_request_code)));
  t.on_data(packet(i32(ssl_request_code)));
  EXPECT_TRUE(again.closed);
  EXPECT_NE(again.sent.find("08P01"), std::string::npos);
}

TEST(pg_session, clear_text_after_ssl_request_is_refused) {
  // CVE-2021-23214: bytes queued behind SSLRequest before the handshake
  fake_peer peer;
  auto o = with(auth_method::trust);
  o.tls_available = true;
  pg_session s(o, peer);
  s.on_data(packet(i32(ssl_request_code)) + startup());
  EXPECT_EQ(peer.tls_starts, 0);
  EXPECT_TRUE(peer.closed);
  EXPECT_FALSE(s.authenticated());
  EXPECT_NE(peer.sent.find("received unencrypted data after SSL request"),
            std::string::npos);
}

TEST(pg_session, cleartext_password) {
  for (auto [given, ok] : {std::pair{"secret", true}, {"wrong", false}}) {
    fake_peer peer;
    pg_session s(with(auth_method::password), peer);
    s.on_data(startup());
    EXPECT_EQ(peer.messages().at(0).second, i32(3));
    s.on_data(msg('p', cstr(given)));
    EXPECT_EQ(s.authenticated(), ok);
    EXPECT_EQ(peer.closed, !ok);
    if (!ok)
      EXPECT_TRUE(peer.has_sqlstate("28P01"));
  }
}

/// A user with no stored credential may give a token as its password
/// (issue 9): asked in cleartext whatever pg.auth says; the front-end
/// checks it; a failure is 28P01 and reported for the audit log.
TEST(pg_session, token_as_password_for_unknown_users) {
  struct token_peer : fake_peer {
    bool tokens_accepted() override { return true; }
    bool check_token(const std::string& user, const std::string& t) override {
      checked = user + ":" + t;
      return t == "thk_good";
    }
    void on_auth_failed(const std::string& user) override { failed = user; }
    std::string checked, failed;
  };
  for (auto [given, ok] : {std::pair{"thk_good", true}, {"thk_bad", false}}) {
    token_peer peer;
    pg_session s(with(auth_method::scram_sha_256), peer);
    s.on_data(startup("svc"));
    EXPECT_EQ(peer.messages().at(0).second, i32(3)); // cleartext, not SASL
    s.on_data(msg('p', cstr(given)));
    EXPECT_EQ(peer.checked, std::string("svc:") + given);
    EXPECT_EQ(s.authenticated(), ok);
    EXPECT_EQ(peer.failed, ok ? "" : "svc");
    if (!ok)
      EXPECT_TRUE(peer.has_sqlstate("28P01"));
  }
  // a password user still gets SCRAM
  token_peer peer;
  pg_session s(with(auth_method::scram_sha_256), peer);
  s.on_data(startup("alice"));
  EXPECT_EQ(peer.messages().at(0).second.substr(0, 4), i32(10));
}

TEST(pg_session, md5_password) {
  for (auto [pw, ok] : {std::pair{"secret", true}, {"wrong", false}}) {
    fake_peer peer;
    pg_session s(with(auth_method::md5), peer);
    s.on_data(startup());
    auto salt = peer.messages().at(0).second.substr(4);
    ASSERT_EQ(salt.size(), 4u);
    s.on_data(msg(
      'p', cstr("md5" + md5_hex(md5_hex(std::string(pw) + "alice") + salt))));
    EXPECT_EQ(s.authenticated(), ok);
  }
}

TEST(pg_session, scram_sha_256_login) {
  for (auto [pw, ok] : {std::pair{"secret", true}, {"wrong", false}}) {
    fake_peer peer;
    pg_session s(with(auth_method::scram_sha_256), peer);
    s.on_data(startup());
    ASSERT_EQ(peer.messages().at(0).second.substr(0, 4), i32(10));
    std::string cfb = "n=,r=clientnonce";
    auto first = "n,," + cfb;
    s.on_data(msg('p', cstr("SCRAM-SHA-256") +
                         i32(static_cast<int32_t>(first.size())) + first));
    auto cont = peer.messages().back();
    ASSERT_EQ(cont.first, 'R');
    ASSERT_EQ(cont.second.substr(0, 4), i32(11));
    auto server_first = cont.second.substr(4);
    // the client side of the exchange
    auto nonce = server_first.substr(2, server_first.find(',') - 2);
    auto salt_b64 = server_first.substr(server_first.find(",s=") + 3);
    salt_b64 = salt_b64.substr(0, salt_b64.find(','));
    auto salt = *base64_decode(salt_b64);
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(pw, static_cast<int>(std::strlen(pw)),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), 4096, EVP_sha256(), 32,
                      salted);
    std::string sp(reinterpret_cast<char*>(salted), 32);
    auto client_key = hmac(sp, "Client Key");
    unsigned char stored[32];
    unsigned n = 0;
    EVP_Digest(client_key.data(), 32, stored, &n, EVP_sha256(), nullptr);
    auto without_proof = "c=biws,r=" + nonce;
    auto auth_message = cfb + "," + server_first + "," + without_proof;
    auto sig =
      hmac(std::string(reinterpret_cast<char*>(stored), 32), auth_message);
    std::string proof(32, '\0');
    for (int i = 0; i < 32; ++i)
      proof[i] = static_cast<char>(client_key[i] ^ sig[i]);
    s.on_data(msg('p', without_proof + ",p=" + base64_encode(proof)));
    EXPECT_EQ(s.authenticated(), ok);
    if (ok)
      EXPECT_NE(peer.types().find("RRRRS"),
                std::string::npos); // SASL, continue, final, ok
    else
      EXPECT_TRUE(peer.has_sqlstate("28P01"));
  }
}

TEST(pg_session, unknown_user_fails_like_a_wrong_password) {
  fake_peer peer;
  pg_session s(with(auth_method::password), peer);
  s.on_data(startup("mallory"));
  s.on_data(msg('p', cstr("anything")));
  EXPECT_TRUE(peer.has_sqlstate("28P01"));
  EXPECT_TRUE(peer.closed);
}

TEST(pg_session, simple_query_cycle_and_pipelined_messages) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(startup());
  peer.sent.clear();
  // a second query arrives while the first runs: it waits its turn
  s.on_data(msg('Q', cstr("SELECT 1")) + msg('Q', cstr("SELECT 2")));
  ASSERT_EQ(peer.queries, std::vector<std::string>{"SELECT 1"});
  s.rows({{"?column?", 0, 0, 23, 4, -1, 0}}, {{std::string("1")}});
  s.complete("SELECT 1");
  s.query_done(tx_status::idle);
  ASSERT_EQ(peer.queries.size(), 2u);
  EXPECT_EQ(peer.types(), "TDCZ");
  error_fields e;
  e.sqlstate = "42P01";
  e.message = "relation \"t\" does not exist";
  s.error(e);
  s.query_done(tx_status::failed);
  EXPECT_EQ(peer.messages().back().second, "E");
  EXPECT_TRUE(peer.has_sqlstate("42P01"));
}

TEST(pg_session, empty_query_and_terminate) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(startup());
  peer.sent.clear();
  // an empty query goes to the SQL layer, which knows the transaction
  // status its ReadyForQuery must carry
  s.on_data(msg('Q', cstr(" ; ")));
  ASSERT_EQ(peer.queries.size(), 1u);
  s.empty_query();
  s.query_done(tx_status::in_block);
  EXPECT_EQ(peer.types(), "IZ");
  EXPECT_EQ(peer.sent.back(), 'T');
  s.on_data(msg('X', ""));
  EXPECT_TRUE(peer.closed);
}

TEST(pg_session, extended_protocol_error_skips_to_sync) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(startup());
  peer.sent.clear();
  s.on_data(msg('P', cstr("") + cstr("SELECT 1") + std::string(2, '\0')));
  ASSERT_EQ(peer.parsed.size(), 1u);
  EXPECT_EQ(peer.parsed[0], "SELECT 1");
  error_fields e;
  e.sqlstate = "42P01";
  e.message = "no such table";
  s.extended_error(e); // the SQL layer failed the Parse
  s.on_data(msg('E', cstr("") + i32(0)) + msg('S', ""));
  EXPECT_EQ(peer.syncs, 1); // Execute skipped, Sync delivered
  s.query_done(tx_status::idle);
  EXPECT_EQ(peer.types(), "EZ");
  EXPECT_TRUE(peer.has_sqlstate("42P01"));
  // a malformed Bind is a protocol violation
  s.on_data(msg('B', "junk"));
  EXPECT_TRUE(peer.has_sqlstate("08P01"));
  EXPECT_TRUE(peer.closed);
}

TEST(pg_session, cancel_request_reaches_the_callback_and_closes) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(packet(i32(cancel_request_code) + i32(7) + i32(9)));
  EXPECT_EQ(peer.cancels, 1);
  EXPECT_TRUE(peer.closed);
  EXPECT_TRUE(peer.sent.empty());
}

TEST(pg_session, protocol_minor_and_pq_options_are_negotiated) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  s.on_data(packet(i32((3 << 16) | 1) + cstr("user") + cstr("alice") +
                   cstr("_pq_.compression") + cstr("on") +
                   std::string(1, '\0')));
  EXPECT_EQ(peer.types().front(), 'v');
  EXPECT_TRUE(s.authenticated());
}

// -- bad input ---------------------------------------------------------------

TEST(pg_session_bad_input, fatal_errors_close) {
  struct bad_case {
    std::string bytes;
    std::string sqlstate;
  };
  for (auto& c : std::vector<bad_case>{
         {packet(i32(2 << 16)), "0A000"},
         {packet(i32(protocol_3_0) + cstr("database") + cstr("d") +
                 std::string(1, '\0')),
          "28000"},
         {packet(i32(protocol_3_0) + cstr("user") + cstr("alice") +
                 cstr("client_encoding") + cstr("LATIN1") +
                 std::string(1, '\0')),
          "22023"},
         {startup() + msg('Q', "no terminator"), "08P01"},
         {startup() + "Q" + i32(1 << 30), "08P01"},
         {startup() + msg('~', ""), "08P01"},
         {startup() + msg('p', cstr("x")), "08P01"},
       }) {
    fake_peer peer;
    pg_session s(with(auth_method::trust), peer);
    s.on_data(c.bytes);
    EXPECT_TRUE(peer.closed) << testing::PrintToString(c.bytes);
    EXPECT_TRUE(peer.has_sqlstate(c.sqlstate))
      << c.sqlstate << " for " << testing::PrintToString(c.bytes);
    EXPECT_TRUE(s.closed());
  }
}

TEST(pg_session_bad_input, impossible_startup_length_closes_silently) {
  // as PostgreSQL: logged (on_bad_startup), no ErrorResponse
  struct peer_t : fake_peer {
    std::string why;
    void on_bad_startup(const std::string& w) override { why = w; }
  };
  for (auto& bytes : {i32(3) + "xxxx", std::string("X\0\0\0\x04", 5)}) {
    peer_t peer;
    pg_session s(with(auth_method::trust), peer);
    s.on_data(bytes);
    EXPECT_TRUE(peer.closed);
    EXPECT_TRUE(s.closed());
    EXPECT_TRUE(peer.sent.empty());
    EXPECT_EQ(peer.why, "invalid length of startup packet");
  }
}

TEST(pg_session_bad_input, wrong_message_during_auth_and_timeout) {
  {
    fake_peer peer;
    pg_session s(with(auth_method::password), peer);
    s.on_data(startup() + msg('Q', cstr("SELECT 1")));
    EXPECT_TRUE(peer.has_sqlstate("08P01"));
    EXPECT_TRUE(peer.queries.empty());
  }
  {
    fake_peer peer;
    pg_session s(with(auth_method::password), peer);
    s.on_data(startup());
    peer.now += 10000;
    s.check_timeouts();
    EXPECT_TRUE(peer.has_sqlstate("08006"));
    EXPECT_TRUE(peer.closed);
  }
  {
    fake_peer peer;
    pg_session s(with(auth_method::scram_sha_256), peer);
    s.on_data(startup() + msg('p', cstr("PLAIN") + i32(1) + "x"));
    EXPECT_TRUE(peer.has_sqlstate("28000"));
  }
}

TEST(pg_session_bad_input, byte_by_byte_delivery) {
  fake_peer peer;
  pg_session s(with(auth_method::trust), peer);
  auto all = startup() + msg('Q', cstr("SELECT 1"));
  for (char c : all)
    s.on_data(std::string_view(&c, 1));
  EXPECT_EQ(peer.queries, std::vector<std::string>{"SELECT 1"});
}
