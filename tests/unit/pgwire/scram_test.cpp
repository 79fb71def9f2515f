/// SCRAM-SHA-256 server exchange against RFC 7677's example, verifier
/// round trips, and malformed client messages.

#include <gtest/gtest.h>

#include "protocols/pgwire/scram.hpp"

using namespace themis::pgwire;

namespace {

// RFC 7677 §3: user "user", password "pencil".
constexpr const char* client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* salt_b64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* client_final =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* server_final =
  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

scram_server rfc_server(std::string_view password = "pencil") {
  auto secret =
    scram_secret::from_password(password, *base64_decode(salt_b64), 4096);
  return scram_server(secret, server_nonce);
}

} // namespace

TEST(scram, rfc7677_example) {
  auto s = rfc_server();
  auto sf = s.first(client_first);
  ASSERT_TRUE(sf);
  EXPECT_EQ(*sf, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                 "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  auto fin = s.final(client_final);
  ASSERT_TRUE(fin) << s.error();
  EXPECT_EQ(*fin, server_final);
  EXPECT_TRUE(s.authenticated());
}

TEST(scram, wrong_password_is_refused) {
  auto s = rfc_server("pencil2");
  ASSERT_TRUE(s.first(client_first));
  EXPECT_FALSE(s.final(client_final));
  EXPECT_FALSE(s.authenticated());
  EXPECT_EQ(s.error(), "password authentication failed");
}

TEST(scram, verifier_round_trip) {
  auto secret = scram_secret::from_password("pencil", "0123456789abcdef");
  auto text = secret.to_verifier();
  auto back = scram_secret::parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->salt, secret.salt);
  EXPECT_EQ(back->iterations, 4096);
  EXPECT_EQ(back->stored_key, secret.stored_key);
  EXPECT_EQ(back->server_key, secret.server_key);
  EXPECT_EQ(back->to_verifier(), text);
}

TEST(scram, base64) {
  EXPECT_EQ(base64_encode("n,,"), "biws");
  EXPECT_EQ(*base64_decode("biws"), "n,,");
  EXPECT_EQ(*base64_decode("YQ=="), "a");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("ab!="));
}

TEST(scram_bad_input, client_messages) {
  for (auto bad : {"", "x", "p=tls-server-end-point,,n=u,r=abc", "n,", "n,,",
                   "n,,n=user", "n,,n=user,r=", "n,,n=u,r=a b"}) {
    auto s = rfc_server();
    EXPECT_FALSE(s.first(bad)) << bad;
  }
  for (auto bad :
       {"", "c=biws", "c=biws,r=rOprNGfwEbeRWgbNEkqO,p=AAAA",
        "c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=!!!!"}) {
    auto s = rfc_server();
    ASSERT_TRUE(s.first(client_first));
    EXPECT_FALSE(s.final(bad)) << bad;
    EXPECT_FALSE(s.authenticated());
  }
  for (auto bad :
       {"", "SCRAM-SHA-256$", "SCRAM-SHA-256$x:c2FsdA==$a:b",
        "MD5$4096:c2FsdA==$a:b", "SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ=="})
    EXPECT_FALSE(scram_secret::parse(bad)) << bad;
}
