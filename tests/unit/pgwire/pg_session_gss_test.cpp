/// GSSAPI authentication in the PostgreSQL session (issue 24) with a fake
/// acceptor: AuthenticationGSS, GSSContinue rounds, the final mutual-auth
/// token before AuthenticationOk, GSSENCRequest answered 'N', per-user
/// method selection; and a block of bad input (empty, oversized, endless
/// and wrong-type GSSResponse messages).

#include <gtest/gtest.h>

#include "pg_test_bytes.hpp"
#include "protocols/pgwire/pg_session.hpp"

using namespace themis::pgwire;
using namespace pg_test;

namespace {

std::string startup(std::string user) {
  return packet(i32(196608) + cstr("user") + cstr(user) + std::string(1, '\0'));
}

struct gss_peer : pg_session_callbacks {
  std::string sent;
  bool closed = false;
  int failures = 0;
  std::vector<std::string> tokens;   ///< what gss_step was given
  std::vector<gss_status> script;    ///< what it answers, in order
  std::vector<std::string> replies;  ///< the token it hands back each time
  std::optional<auth_method> method; ///< what method_for answers

  void send(std::string b) override { sent += b; }
  void close() override { closed = true; }
  uint64_t now = 0;
  uint64_t now_ms() override { return now; }
  std::optional<std::string> credential(const std::string&) override {
    return std::string("pw");
  }
  std::optional<auth_method> method_for(const std::string&) override {
    return method;
  }
  gss_status gss_step(const std::string&, std::string_view token,
                      std::string& out) override {
    tokens.emplace_back(token);
    size_t i = tokens.size() - 1;
    out = i < replies.size() ? replies[i] : "";
    return i < script.size() ? script[i] : gss_status::failed;
  }
  void on_auth_failed(const std::string&) override { ++failures; }
  std::string random_bytes(size_t n) override { return std::string(n, 'r'); }
  void on_cancel(int32_t, int32_t) override {}
  void on_query(std::string) override {}
  void on_parse(parse_msg&) override {}
  void on_bind(bind_msg&) override {}
  void on_describe(const describe_msg&) override {}
  void on_execute(const execute_msg&) override {}
  void on_close(const describe_msg&) override {}
  void on_sync() override {}
  void on_copy_data(std::string_view) override {}
  void on_copy_done() override {}
  void on_copy_fail(const std::string&) override {}

  std::vector<std::pair<char, std::string>> messages(size_t from = 0) {
    return split_messages(sent, from);
  }
  bool has_sqlstate(const std::string& code) {
    for (auto& [k, v] : messages())
      if (k == 'E' && v.find("C" + code + '\0') != std::string::npos)
        return true;
    return false;
  }
};

pg_session_options gss_options() {
  pg_session_options o;
  o.auth = auth_method::gss;
  return o;
}

} // namespace

TEST(pg_session_gss, one_round_with_mutual_token_then_ok) {
  gss_peer p;
  p.script = {gss_status::ok};
  p.replies = {"AP-REP"};
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  auto m = p.messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, 'R');
  EXPECT_EQ(m[0].second, i32(7)); // AuthenticationGSS
  auto before = p.sent.size();
  s.on_data(msg('p', "AP-REQ"));
  ASSERT_EQ(p.tokens, std::vector<std::string>{"AP-REQ"});
  auto after = p.messages(before);
  ASSERT_GE(after.size(), 2u);
  EXPECT_EQ(after[0].first, 'R');
  EXPECT_EQ(after[0].second, i32(8) + "AP-REP"); // GSSContinue
  EXPECT_EQ(after[1].second, i32(0));            // AuthenticationOk
  EXPECT_TRUE(s.authenticated());
  EXPECT_EQ(after.back().first, 'Z');
}

TEST(pg_session_gss, continue_rounds_then_ok_without_final_token) {
  gss_peer p;
  p.script = {gss_status::continue_needed, gss_status::ok};
  p.replies = {"challenge", ""};
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  s.on_data(msg('p', "one"));
  EXPECT_FALSE(s.authenticated());
  auto m = p.messages();
  EXPECT_EQ(m.back().second, i32(8) + "challenge");
  auto before = p.sent.size();
  s.on_data(msg('p', "two"));
  EXPECT_TRUE(s.authenticated());
  EXPECT_EQ(p.messages(before)[0].second, i32(0)); // no empty GSSContinue
}

TEST(pg_session_gss, refusal_is_28000_and_audited) {
  gss_peer p;
  p.script = {gss_status::failed};
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  s.on_data(msg('p', "bad"));
  EXPECT_TRUE(p.has_sqlstate("28000"));
  EXPECT_EQ(p.failures, 1);
  EXPECT_TRUE(p.closed);
  EXPECT_FALSE(s.authenticated());
}

TEST(pg_session_gss, gssenc_request_answered_n_then_startup) {
  gss_peer p;
  p.script = {gss_status::ok};
  pg_session s(gss_options(), p);
  s.on_data(packet(i32(80877104))); // GSSENCRequest
  EXPECT_EQ(p.sent, "N");
  EXPECT_FALSE(p.closed);
  s.on_data(startup("alice"));
  s.on_data(msg('p', "tok"));
  EXPECT_TRUE(s.authenticated());
}

TEST(pg_session_gss, method_chosen_per_user) {
  gss_peer p;
  p.method = auth_method::gss;
  pg_session_options o;
  o.auth = auth_method::scram_sha_256; // the default, overridden
  pg_session s(o, p);
  s.on_data(startup("alice"));
  EXPECT_EQ(p.messages()[0].second, i32(7));
  gss_peer q; // no rule: the default (SASL, 10)
  pg_session t(o, q);
  t.on_data(startup("alice"));
  EXPECT_EQ(q.messages()[0].second.substr(0, 4), i32(10));
}

// -- bad input -------------------------------------------------------------

TEST(pg_session_gss_bad, empty_token) {
  gss_peer p;
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  s.on_data(msg('p', ""));
  EXPECT_TRUE(p.has_sqlstate("08P01"));
  EXPECT_TRUE(p.tokens.empty());
  EXPECT_TRUE(p.closed);
}

TEST(pg_session_gss_bad, oversized_token) {
  gss_peer p;
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  s.on_data(msg('p', std::string(70000, 'x')));
  EXPECT_TRUE(p.has_sqlstate("08P01"));
  EXPECT_TRUE(p.tokens.empty());
}

TEST(pg_session_gss_bad, endless_continue_is_cut) {
  gss_peer p;
  p.script.assign(100, gss_status::continue_needed);
  p.replies.assign(100, "more");
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  for (int i = 0; i < 20 && !p.closed; ++i)
    s.on_data(msg('p', "again"));
  EXPECT_TRUE(p.closed);
  EXPECT_TRUE(p.has_sqlstate("28000"));
  EXPECT_LE(p.tokens.size(), 8u);
  EXPECT_FALSE(s.authenticated());
}

TEST(pg_session_gss_bad, wrong_message_type) {
  gss_peer p;
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  s.on_data(msg('Q', cstr("SELECT 1")));
  EXPECT_TRUE(p.has_sqlstate("08P01"));
  EXPECT_TRUE(p.tokens.empty());
  EXPECT_FALSE(s.authenticated());
}

TEST(pg_session_gss_bad, truncated_message_waits_then_times_out) {
  gss_peer p;
  pg_session s(gss_options(), p);
  s.on_data(startup("alice"));
  auto m = msg('p', "tok");
  s.on_data(m.substr(0, 4));
  EXPECT_TRUE(p.tokens.empty());
  EXPECT_FALSE(p.closed);
  p.now = 20000; // past startup_timeout_ms: a stalled exchange ends
  s.check_timeouts();
  EXPECT_TRUE(p.closed);
  EXPECT_TRUE(p.has_sqlstate("08006"));
}
