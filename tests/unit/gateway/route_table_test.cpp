#include <gtest/gtest.h>

#include "gateway/gateway_config.hpp"
#include "gateway/proxy_request.hpp"
#include "gateway/route_table.hpp"

using namespace themis;
using namespace themis::gateway;

namespace {

gateway_config cfg_of(const char* yaml) {
  std::string err;
  auto c = parse_gateway_yaml(yaml, err);
  EXPECT_TRUE(c) << err;
  return c ? *c : gateway_config{};
}

api_request req(std::string method, std::string host, std::string path,
                std::string query = "", header_list extra = {}) {
  api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", std::move(host)}};
  for (auto& h : extra)
    r.headers.push_back(h);
  r.remote_addr = "10.0.0.7:5555";
  return r;
}

const char* table_yaml = R"(
clusters:
  - {name: a, endpoints: ["127.0.0.1:1"]}
routes:
  - name: wild
    match: {host: "*.example.com", prefix: /api}
    forward: a
  - name: exact
    match: {host: example.com, exact: /x}
    direct: {body: exact}
  - name: rx
    match: {regex: "/items/[0-9]+"}
    direct: {body: rx}
  - name: post
    match: {prefix: /m, methods: [POST]}
    direct: {body: post}
  - name: hdr
    match: {prefix: /h, headers: {X-Canary: "yes"}}
    direct: {body: hdr}
  - name: q
    match: {prefix: /q, query: {v: "2", debug: "*"}}
    direct: {body: q}
)";

const char* name_of(const route_table& t, const api_request& r) {
  auto* m = t.match(r);
  return m ? m->name.c_str() : "none";
}

} // namespace

TEST(RouteTable, HostsPathsMethodsHeadersQuery) {
  route_table t(cfg_of(table_yaml));
  EXPECT_STREQ(name_of(t, req("GET", "a.example.com", "/api/v")), "wild");
  EXPECT_STREQ(name_of(t, req("GET", "A.B.Example.COM:8080", "/api")), "wild");
  EXPECT_STREQ(name_of(t, req("GET", "example.com", "/api")), "none");
  EXPECT_STREQ(name_of(t, req("GET", "xexample.com", "/api")), "none");
  EXPECT_STREQ(name_of(t, req("GET", "example.com:80", "/x")), "exact");
  EXPECT_STREQ(name_of(t, req("GET", "example.com", "/x/")), "none");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/items/42")), "rx");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/items/42/x")), "none");
  EXPECT_STREQ(name_of(t, req("POST", "any", "/m")), "post");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/m")), "none");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/h", "", {{"x-canary", "yes"}})),
               "hdr");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/h", "", {{"X-Canary", "no"}})),
               "none");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/q", "a=1&v=2&debug")), "q");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/q", "v=3&debug=1")), "none");
  EXPECT_STREQ(name_of(t, req("GET", "any", "/q", "v=2")), "none");
}

TEST(RouteTable, RegexIsLinearOnHostilePaths) {
  route_table t(cfg_of(R"(
routes:
  - match: {regex: "(a+)+b"}
    direct: {}
)"));
  std::string evil(100000, 'a');
  EXPECT_EQ(t.match(req("GET", "h", "/" + evil)), nullptr); // returns at all
}

TEST(ProxyRequest, RewritesAndForwardingHeaders) {
  auto c = cfg_of(R"(
clusters:
  - {name: a, endpoints: ["127.0.0.1:1"]}
routes:
  - match: {prefix: /api}
    forward: {cluster: a, rewrite_prefix: /v1}
    request_headers: {add: {X-Gw: "1"}, remove: [Cookie]}
    response_headers: {remove: [X-Internal], add: {X-Served-By: gw}}
)");
  auto& r = c.routes[0];
  auto q = req("POST", "svc.local", "/api/a b", "x=1",
               {{"Connection", "keep-alive, X-Secret"},
                {"X-Secret", "s"},
                {"Keep-Alive", "5"},
                {"Cookie", "c=1"},
                {"X-Forwarded-For", "1.1.1.1"},
                {"Accept", "*/*"},
                {"Expect", "100-continue"}});
  q.body = "hello";
  auto s = build_upstream_request(r, q, false, "127.0.0.1:1");
  EXPECT_EQ(s.rfind("POST /v1/a%20b?x=1 HTTP/1.1\r\nHost: svc.local\r\n", 0),
            0u)
    << s;
  EXPECT_EQ(s.find("X-Secret"), std::string::npos);
  EXPECT_EQ(s.find("Keep-Alive"), std::string::npos);
  EXPECT_EQ(s.find("Expect"), std::string::npos);
  EXPECT_EQ(s.find("Cookie"), std::string::npos);
  EXPECT_NE(s.find("X-Forwarded-For: 1.1.1.1, 10.0.0.7\r\n"),
            std::string::npos);
  EXPECT_NE(s.find("X-Forwarded-Proto: http\r\n"), std::string::npos);
  EXPECT_NE(s.find("Via: 1.1 themisd\r\n"), std::string::npos);
  EXPECT_NE(s.find("X-Gw: 1\r\n"), std::string::npos);
  EXPECT_NE(s.find("Content-Length: 5\r\n\r\nhello"), std::string::npos);

  header_list h = {{"Content-Length", "3"},
                   {"Connection", "close"},
                   {"Transfer-Encoding", "chunked"},
                   {"X-Internal", "1"},
                   {"ETag", "\"e\""}};
  relay_response_headers(r, h);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].first, "ETag");
  EXPECT_EQ(h[1].second, "1.1 themisd");
  EXPECT_EQ(h[2].first, "X-Served-By");
}

TEST(ProxyRequest, CoalesceKeys) {
  auto c = cfg_of(R"(
clusters:
  - {name: a, endpoints: ["127.0.0.1:1"]}
routes:
  - match: {prefix: /p}
    forward: {cluster: a, coalesce: true}
  - match: {prefix: /pub}
    forward: {cluster: a, coalesce: true, public: true}
)");
  auto a = req("GET", "h", "/p", "x=1", {{"Authorization", "Bearer A"}});
  auto b = req("GET", "h", "/p", "x=1", {{"Authorization", "Bearer B"}});
  EXPECT_FALSE(coalesce_key(c.routes[0], a).empty());
  EXPECT_NE(coalesce_key(c.routes[0], a), coalesce_key(c.routes[0], b));
  EXPECT_EQ(coalesce_key(c.routes[1], a), coalesce_key(c.routes[1], b));
  auto p = req("POST", "h", "/p");
  EXPECT_TRUE(coalesce_key(c.routes[0], p).empty()); // never unsafe methods
  auto d = req("DELETE", "h", "/p");
  EXPECT_TRUE(coalesce_key(c.routes[0], d).empty());
  auto other = req("GET", "h", "/p", "x=2", {{"Authorization", "Bearer A"}});
  EXPECT_NE(coalesce_key(c.routes[0], a), coalesce_key(c.routes[0], other));
}

TEST(ProxyRequest, RedirectExpands) {
  route_config r;
  r.redirect_location = "https://n.example$path$query";
  auto q = req("GET", "h", "/a b", "k=v");
  EXPECT_EQ(redirect_location(r, q), "https://n.example/a%20b?k=v");
  EXPECT_EQ(client_ip("[::1]:80"), "::1");
  EXPECT_EQ(client_ip("1.2.3.4:80"), "1.2.3.4");
}

TEST(ProxyRequest, WebSocketHandshakeKeepsTheUpgrade) {
  auto c = cfg_of(R"(
clusters:
  - {name: a, endpoints: ["127.0.0.1:1"]}
routes:
  - match: {prefix: /ws}
    forward: {cluster: a}
)");
  auto q = req("GET", "svc.local", "/ws/chat", "",
               {{"Connection", "Upgrade"},
                {"Upgrade", "websocket"},
                {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                {"Sec-WebSocket-Version", "13"},
                {"Sec-WebSocket-Protocol", "chat"}});
  auto plain = build_upstream_request(c.routes[0], q, false, "a");
  EXPECT_EQ(plain.find("Upgrade:"), std::string::npos); // hop-by-hop
  auto s = build_upgrade_request(c.routes[0], q, false, "a");
  EXPECT_EQ(s.rfind("GET /ws/chat HTTP/1.1\r\n", 0), 0u) << s;
  EXPECT_NE(s.find("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"),
            std::string::npos)
    << s;
  EXPECT_NE(s.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
            std::string::npos);
  EXPECT_NE(s.find("Sec-WebSocket-Protocol: chat\r\n"), std::string::npos);
  EXPECT_EQ(s.size() - 4, s.find("\r\n\r\n")); // one head, no body
}
