/// The browser's WebSocket credential (handlers/ws_bearer.hpp): a
/// `themis.bearer.<base64url(token)>` subprotocol taken out of the offered
/// list and turned into `Authorization: Bearer`; malformed and ambiguous
/// offers refused without the token in the message.

#include <gtest/gtest.h>

#include "handlers/ws_bearer.hpp"

using namespace themis;
using namespace themis::ws;

namespace {

std::string cred(std::string_view token) {
  return std::string(bearer_protocol_prefix) + base64url_encode(token);
}

api_request upgrade(std::string protocols) {
  api_request r;
  r.method = "GET";
  r.path = "/api/v1/changes/ws";
  r.headers = {{"Upgrade", "websocket"},
               {"Connection", "Upgrade"},
               {"Sec-WebSocket-Protocol", std::move(protocols)}};
  return r;
}

} // namespace

TEST(ws_bearer, takes_the_credential_and_keeps_the_rest) {
  auto c = take_bearer_protocol(cred("thk_abc.def") + ", themis.changes.json");
  EXPECT_TRUE(c.offered);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.token, "thk_abc.def");
  EXPECT_EQ(c.rest, "themis.changes.json");

  c =
    take_bearer_protocol("graphql-transport-ws ,\t" + cred("a.b.c") + " , , x");
  EXPECT_EQ(c.token, "a.b.c");
  EXPECT_EQ(c.rest, "graphql-transport-ws, x");

  c = take_bearer_protocol("mqtt, themis.changes.cbor");
  EXPECT_FALSE(c.offered);
  EXPECT_EQ(c.rest, "mqtt, themis.changes.cbor");
  EXPECT_EQ(take_bearer_protocol("").rest, "");
}

TEST(ws_bearer, malformed_offers_are_refused_without_the_token) {
  auto two = take_bearer_protocol(cred("tok_first") + "," + cred("tok_second"));
  EXPECT_NE(two.error, "");
  EXPECT_EQ(two.token, "");
  EXPECT_EQ(two.error.find("tok_"), std::string::npos);
  for (std::string bad : {
         std::string("themis.bearer."),       // empty
         std::string("themis.bearer.a"),      // one char: no byte
         std::string("themis.bearer.dGhr+w"), // '+' is base64, not url
         std::string("themis.bearer.dGhr/w"), // '/'
         std::string("themis.bearer.dGhr=="), // padding
         std::string("themis.bearer.dG hr"),  // a space inside
         cred("sp ace"),                      // a space in the token
         cred(std::string("nul\0x", 5)),      // a NUL
         cred("line\r\nX-Injected: 1"),       // header injection
         cred("\x7f"),                        // DEL
         std::string("themis.bearer.") + std::string(9000, 'A'), // too long
       }) {
    auto c = take_bearer_protocol(bad + ", themis.changes.json");
    EXPECT_TRUE(c.offered) << bad;
    EXPECT_NE(c.error, "") << bad;
    EXPECT_EQ(c.token, "") << bad;
  }
  // a name that only starts like it is not the credential
  EXPECT_FALSE(take_bearer_protocol("themis.bearerx.abc").offered);
  EXPECT_FALSE(take_bearer_protocol("themis.bearer").offered);
}

TEST(ws_bearer, lifts_into_authorization) {
  auto r = upgrade(cred("thk_key") + ", themis.changes.json");
  EXPECT_FALSE(lift_bearer_protocol(r));
  ASSERT_TRUE(r.header("Authorization"));
  EXPECT_EQ(*r.header("Authorization"), "Bearer thk_key");
  ASSERT_TRUE(r.header("Sec-WebSocket-Protocol"));
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), "themis.changes.json");

  // only the credential offered: no protocol header left
  r = upgrade(cred("thk_key"));
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_FALSE(r.header("Sec-WebSocket-Protocol"));
  EXPECT_EQ(*r.header("Authorization"), "Bearer thk_key");

  // the list split over two header lines (RFC 7230 §3.2.2)
  r = upgrade("graphql-transport-ws");
  r.headers.emplace_back("sec-websocket-protocol", cred("k2"));
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_EQ(*r.header("Authorization"), "Bearer k2");
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), "graphql-transport-ws");
  int lines = 0;
  for (auto& [k, v] : r.headers)
    lines += iequals(k, "Sec-WebSocket-Protocol");
  EXPECT_EQ(lines, 1);
}

TEST(ws_bearer, two_credentials_or_bad_ones_are_refused) {
  auto r = upgrade(cred("k1") + ", themis.changes.json");
  r.headers.emplace_back("Authorization", "Bearer k2");
  auto bad = lift_bearer_protocol(r);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->find("k1"), std::string::npos);
  r = upgrade(cred("k1"));
  r.headers.emplace_back("X-API-Key", "k2");
  EXPECT_TRUE(lift_bearer_protocol(r));
  r = upgrade("themis.bearer.!!, themis.changes.json");
  EXPECT_TRUE(lift_bearer_protocol(r));
  EXPECT_FALSE(r.header("Authorization"));
}

TEST(ws_bearer, tenant) {
  auto r = upgrade(cred("k1") + ", themis.tenant.acme, themis.changes.json");
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_EQ(*r.header("X-Tenant-ID"), "acme");
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), "themis.changes.json");
  EXPECT_EQ(*r.header("Authorization"), "Bearer k1");
  // a tenant alone (the credential in a header) is lifted too
  r = upgrade("themis.tenant.beta, x");
  r.headers.emplace_back("Authorization", "Bearer k1");
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_EQ(*r.header("X-Tenant-ID"), "beta");
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), "x");
  for (std::string bad : {std::string("themis.tenant., x"),
                          std::string("themis.tenant.a, themis.tenant.b")}) {
    r = upgrade(bad);
    EXPECT_TRUE(lift_bearer_protocol(r)) << bad;
    EXPECT_FALSE(r.header("X-Tenant-ID")) << bad;
  }
  r = upgrade(cred("k1") + ", themis.tenant.acme");
  r.headers.emplace_back("X-Tenant-ID", "beta");
  EXPECT_TRUE(lift_bearer_protocol(r));
}

TEST(ws_bearer, leaves_other_requests_alone) {
  // not an upgrade: the header is not a credential here
  api_request r;
  r.method = "GET";
  r.path = "/api/v1/collections";
  r.headers = {{"Sec-WebSocket-Protocol", cred("k1")}};
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_FALSE(r.header("Authorization"));
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), cred("k1"));
  // an upgrade without the credential: untouched
  r = upgrade("mqtt");
  r.headers.emplace_back("Authorization", "Bearer k9");
  EXPECT_FALSE(lift_bearer_protocol(r));
  EXPECT_EQ(*r.header("Sec-WebSocket-Protocol"), "mqtt");
  EXPECT_EQ(*r.header("Authorization"), "Bearer k9");
}
