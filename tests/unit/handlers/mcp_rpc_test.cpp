// MCP's JSON-RPC layer, Origin checks, resource URIs and the session
// store (handlers/mcp_rpc.*, handlers/mcp_session.*), with hostile input.

#include <gtest/gtest.h>

#include <set>

#include "handlers/mcp_rpc.hpp"
#include "handlers/mcp_session.hpp"

using namespace themis;
using namespace themis::mcp;
using nlohmann::json;

TEST(McpRpc, ClassifiesRequestsNotificationsResponses) {
  auto r = classify(json::parse(R"({"jsonrpc":"2.0","id":7,"method":"ping"})"));
  EXPECT_EQ(r.kind, rpc_kind::request);
  EXPECT_EQ(r.id, 7);
  EXPECT_TRUE(r.params.is_object());
  auto n = classify(
    json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_EQ(n.kind, rpc_kind::notification);
  auto s = classify(json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})"));
  EXPECT_EQ(s.kind, rpc_kind::response);
}

TEST(McpRpc, RefusesMalformedMessages) {
  for (auto text : {R"([])", R"("x")", R"(1)", R"(null)", R"({})",
                    R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
                    R"({"jsonrpc":2.0,"id":1,"method":"ping"})",
                    R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                    R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
                    R"({"jsonrpc":"2.0","id":{},"method":"ping"})",
                    R"({"jsonrpc":"2.0","id":1,"method":""})",
                    R"({"jsonrpc":"2.0","id":1,"method":7})",
                    R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})",
                    R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})",
                    R"({"jsonrpc":"2.0","id":1})",
                    R"({"jsonrpc":"2.0","id":1,"result":1,"error":{}})",
                    R"({"jsonrpc":"2.0","result":1})"}) {
    auto m = classify(json::parse(text));
    EXPECT_EQ(m.kind, rpc_kind::invalid) << text;
    EXPECT_FALSE(m.error.empty()) << text;
  }
}

TEST(McpRpc, ErrorAndResultShapes) {
  auto e = rpc_error(3, method_not_found, "nope", {{"x", 1}});
  EXPECT_EQ(e["jsonrpc"], "2.0");
  EXPECT_EQ(e["id"], 3);
  EXPECT_EQ(e["error"]["code"], -32601);
  EXPECT_EQ(e["error"]["data"]["x"], 1);
  EXPECT_FALSE(rpc_error(nullptr, parse_error, "p")["error"].contains("data"));
  EXPECT_TRUE(rpc_error(nullptr, parse_error, "p")["id"].is_null());
  EXPECT_EQ(rpc_result("a", json::object())["result"], json::object());
}

TEST(McpRpc, NegotiatesVersions) {
  EXPECT_EQ(negotiate_version("2025-06-18"), "2025-06-18");
  EXPECT_EQ(negotiate_version("2024-11-05"), "2024-11-05");
  EXPECT_EQ(negotiate_version("2025-11-25"), "2025-11-25");
  EXPECT_EQ(negotiate_version("1999-01-01"), supported_versions().front());
  EXPECT_EQ(negotiate_version(json(5)), supported_versions().front());
  EXPECT_TRUE(batches_allowed("2025-03-26"));
  EXPECT_FALSE(batches_allowed("2025-06-18"));
  EXPECT_FALSE(batches_allowed("2025-11-25"));
  EXPECT_FALSE(supported_version(""));
}

TEST(McpRpc, OriginChecks) {
  std::vector<std::string> none, list = {"https://app.example"};
  EXPECT_TRUE(origin_allowed(nullptr, none, false));
  std::string o;
  for (auto ok : {"http://localhost", "http://localhost:6274",
                  "https://127.0.0.1:8443", "http://[::1]:80"}) {
    o = ok;
    EXPECT_TRUE(origin_allowed(&o, none, true)) << ok;
    EXPECT_FALSE(origin_allowed(&o, none, false)) << ok;
  }
  for (auto bad : {"http://localhost.evil.com", "http://evil.com",
                   "http://localhost:", "http://localhost:1234567",
                   "http://localhost:80/x", "null", "", "file://localhost",
                   "http://127.0.0.1.nip.io", "http://localhost@evil.com"}) {
    o = bad;
    EXPECT_FALSE(origin_allowed(&o, none, true)) << bad;
  }
  o = "https://app.example";
  EXPECT_TRUE(origin_allowed(&o, list, false));
  o = "https://app.example.evil";
  EXPECT_FALSE(origin_allowed(&o, list, false));
  std::vector<std::string> any = {"*"};
  EXPECT_TRUE(origin_allowed(&o, any, false));
}

TEST(McpRpc, ResourceUris) {
  auto r = parse_resource_uri("themis://collections/orders");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->collection, "orders");
  EXPECT_TRUE(r->key.empty());
  r = parse_resource_uri("themis://collections/orders/documents/a%2Fb%20c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->key, "a/b c");
  EXPECT_EQ(document_uri("orders", "a/b c"),
            "themis://collections/orders/documents/a%2Fb%20c");
  auto back = parse_resource_uri(document_uri("o", "k:1@x~y"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, "k:1@x~y");
  for (auto bad :
       {"", "themis://", "themis://collections/", "themis://collections//x",
        "themis://collections/o/documents/", "themis://collections/o/docs/k",
        "themis://collections/o/documents/a/b", "http://collections/o",
        "themis://collections/o/documents/%", "themis://collections/o%2",
        "themis://collections/o/documents/%zz", "themis://collections/%00",
        "themis://collections/o/documents/k%00"}) {
    EXPECT_FALSE(parse_resource_uri(bad)) << bad;
  }
  EXPECT_FALSE(parse_resource_uri(std::string(5000, 'a')));
}

TEST(McpRpc, Accepts) {
  EXPECT_TRUE(accepts(nullptr, "application/json"));
  std::string a = "application/json, text/event-stream";
  EXPECT_TRUE(accepts(&a, "text/event-stream"));
  a = "text/*";
  EXPECT_TRUE(accepts(&a, "text/event-stream"));
  EXPECT_FALSE(accepts(&a, "application/json"));
  a = "*/*";
  EXPECT_TRUE(accepts(&a, "application/json"));
}

namespace {
principal user(const char* name, const char* tenant) {
  principal p;
  p.user = name;
  p.tenant = tenant;
  p.via = "jwt";
  p.scopes = {"data:read"};
  return p;
}
} // namespace

TEST(McpSession, BoundToItsPrincipalAndBounded) {
  session_store store; // a private one, not the process's
  auto idle = std::chrono::seconds(60);
  auto alice = user("alice", "t1"), bob = user("bob", "t1"),
       alice2 = user("alice", "t2");
  auto s = store.create(alice, "2025-06-18", 3, 2, idle);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id().size(), 64u);
  EXPECT_TRUE(store.find(s->id(), alice, idle));
  EXPECT_FALSE(store.find(s->id(), bob, idle));    // another user
  EXPECT_FALSE(store.find(s->id(), alice2, idle)); // another tenant
  EXPECT_FALSE(store.find("x", alice, idle));
  EXPECT_FALSE(store.remove(s->id(), bob));
  EXPECT_TRUE(store.create(alice, "2025-06-18", 3, 2, idle));
  EXPECT_FALSE(store.create(alice, "2025-06-18", 3, 2, idle)); // per principal
  EXPECT_TRUE(store.create(bob, "2025-06-18", 3, 2, idle));
  EXPECT_FALSE(store.create(alice2, "2025-06-18", 3, 2, idle)); // total
  EXPECT_TRUE(store.remove(s->id(), alice));
  EXPECT_TRUE(s->closed());
  EXPECT_FALSE(store.find(s->id(), alice, idle));
  EXPECT_TRUE(store.create(alice2, "2025-06-18", 3, 2, idle));
}

TEST(McpSession, ExpiresWhenIdle) {
  session_store store;
  auto alice = user("alice", "");
  auto s = store.create(alice, "2025-06-18", 10, 10, std::chrono::seconds(60));
  ASSERT_TRUE(s);
  // an idle bound of 0 s: anything older than now is expired
  EXPECT_FALSE(store.find(s->id(), alice, std::chrono::seconds(-1)));
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(store.size(), 0u);
}

TEST(McpSession, SubscriptionsAndCalls) {
  session s("id", user("a", ""), "2025-06-18");
  EXPECT_TRUE(s.subscribe("c", "k1", 2));
  EXPECT_TRUE(s.subscribe("c", "k1", 2)); // again: no new entry
  EXPECT_TRUE(s.subscribe("c", "", 2));
  EXPECT_FALSE(s.subscribe("d", "", 2)); // bound
  EXPECT_EQ(s.watches("c", "k1"), 3);
  EXPECT_EQ(s.watches("c", "k2"), 2);
  EXPECT_EQ(s.watches("t.c", "k1"), 0);
  s.unsubscribe("c", "");
  EXPECT_EQ(s.watches("c", "k2"), 0);
  auto call = s.begin_call("1");
  EXPECT_EQ(s.find_call("1"), call);
  s.set_job(call, "j1");
  EXPECT_EQ(s.job_of(call), "j1");
  s.end_call("1");
  EXPECT_FALSE(s.find_call("1"));
}

TEST(McpSession, IdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i)
    ids.insert(random_id());
  EXPECT_EQ(ids.size(), 1000u);
}
