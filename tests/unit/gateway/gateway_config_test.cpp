#include <gtest/gtest.h>

#include "gateway/gateway_config.hpp"

using namespace themis::gateway;

namespace {

std::string err_of(const std::string& yaml) {
  std::string err;
  auto c = parse_gateway_yaml(yaml, err);
  EXPECT_FALSE(c) << yaml;
  return err;
}

const char* good = R"(
clusters:
  - name: api
    lb: weighted
    endpoints:
      - 127.0.0.1:8081
      - {address: "127.0.0.1:8082", weight: 3}
    health_check: {path: /health, interval_ms: 500}
    outlier: {consecutive_5xx: 3}
    breaker: {max_requests: 10}
routes:
  - name: r
    match: {host: "*.example.com", prefix: /api, methods: [GET]}
    forward: {cluster: api, rewrite_prefix: /v1, retries: 2, coalesce: true}
    request_headers: {add: {X-Gw: "1"}, remove: [Cookie]}
  - match: {exact: /old}
    redirect: {location: "https://new.example.com$path$query", status: 301}
  - match: {regex: "/static/[a-z]+\\.css"}
    direct: {status: 200, body: "x", content_type: text/css}
  - themisd: true
)";

} // namespace

TEST(GatewayConfig, ParsesAFullFile) {
  std::string err;
  auto c = parse_gateway_yaml(good, err);
  ASSERT_TRUE(c) << err;
  ASSERT_EQ(c->clusters.size(), 1u);
  auto& cl = c->clusters[0];
  EXPECT_EQ(cl.lb, lb_policy::weighted);
  ASSERT_EQ(cl.endpoints.size(), 2u);
  EXPECT_EQ(cl.endpoints[1].port, 8082);
  EXPECT_EQ(cl.endpoints[1].weight, 3u);
  EXPECT_EQ(cl.health.path, "/health");
  EXPECT_EQ(cl.outlier.consecutive_5xx, 3u);
  EXPECT_EQ(cl.breaker.max_requests, 10u);
  ASSERT_EQ(c->routes.size(), 4u);
  EXPECT_EQ(c->routes[0].forward.cluster, "api");
  EXPECT_EQ(*c->routes[0].forward.rewrite_prefix, "/v1");
  EXPECT_TRUE(c->routes[0].forward.coalesce);
  EXPECT_EQ(c->routes[1].action, action_kind::redirect);
  EXPECT_EQ(c->routes[1].redirect_status, 301);
  EXPECT_EQ(c->routes[2].action, action_kind::direct);
  EXPECT_EQ(c->routes[3].action, action_kind::themisd);
  EXPECT_EQ(c->routes[3].name, "routes[3]");
}

TEST(GatewayConfig, ErrorsNameTheKey) {
  EXPECT_NE(err_of("routes:\n  - forward: nope\n")
              .find("routes[0].forward.cluster: unknown cluster 'nope'"),
            std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    endpoints: [x]\n")
              .find("clusters[0].endpoints[0]: expected HOST:PORT"),
            std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    endpoints: [\"h:99999\"]\n")
              .find("clusters[0].endpoints[0] (port)"),
            std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    lb: fastest\n    endpoints: "
                   "[\"h:1\"]\n")
              .find("clusters[0].lb: expected one of"),
            std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    endpoints: [\"h:1\"]\n    "
                   "breaker: {max_conns: 3}\n")
              .find("clusters[0].breaker.max_conns: unknown key"),
            std::string::npos);
  EXPECT_NE(err_of("routes:\n  - match: {regex: \"(\"}\n    direct: {}\n")
              .find("routes[0].match.regex: invalid regular expression"),
            std::string::npos);
  EXPECT_NE(err_of("routes:\n  - match: {host: \"a.*.com\"}\n    direct: {}\n")
              .find("routes[0].match.host"),
            std::string::npos);
  EXPECT_NE(err_of("routes:\n  - match: {prefix: /a, exact: /b}\n"
                   "    direct: {}\n")
              .find("at most one of prefix, exact and regex"),
            std::string::npos);
  EXPECT_NE(err_of("routes:\n  - direct: {}\n    themisd: true\n")
              .find("routes[0]: needs exactly one of"),
            std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    endpoints: [\"h:1\"]\n"
                   "  - name: a\n    endpoints: [\"h:2\"]\n")
              .find("clusters[1].name: duplicate cluster 'a'"),
            std::string::npos);
  EXPECT_NE(err_of("routes: [").find("invalid YAML"), std::string::npos);
  EXPECT_NE(err_of("listeners: []").find("listeners: unknown key"),
            std::string::npos);
  EXPECT_NE(err_of("routes:\n  - match: {prefix: /a}\n    redirect: "
                   "{location: /b, status: 305}\n")
              .find("routes[0].redirect.status"),
            std::string::npos);
}

TEST(GatewayConfig, ErrorsCarryTheLine) {
  auto e = err_of("clusters:\n  - name: a\n    endpoints: [\"h:1\"]\n"
                  "    connect_timeout_ms: -4\n");
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("clusters[0].connect_timeout_ms"), std::string::npos) << e;
}

TEST(GatewayConfig, EmptyIsValid) {
  std::string err;
  auto c = parse_gateway_yaml("", err);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->routes.empty());
}

TEST(GatewayConfig, UpstreamTlsAndStreamKeys) {
  std::string err;
  auto c = parse_gateway_yaml(R"(
clusters:
  - name: a
    endpoints: [127.0.0.1:1]
    tls: {sni: api.internal, verify: false}
  - name: b
    endpoints: [127.0.0.1:2]
    tls: {enabled: false}
  - name: c
    endpoints: [127.0.0.1:3]
routes:
  - match: {prefix: /}
    forward: {cluster: a, stream_buffer_bytes: 4096,
              stream_idle_timeout_ms: 250}
)",
                              err);
  ASSERT_TRUE(c) << err;
  EXPECT_TRUE(c->clusters[0].tls.enabled); // a tls section turns it on
  EXPECT_FALSE(c->clusters[0].tls.verify);
  EXPECT_EQ(c->clusters[0].tls.sni, "api.internal");
  EXPECT_FALSE(c->clusters[1].tls.enabled);
  EXPECT_FALSE(c->clusters[2].tls.enabled);
  EXPECT_TRUE(c->clusters[2].tls.verify); // verification is the default
  EXPECT_EQ(c->routes[0].forward.stream_buffer_bytes, 4096u);
  EXPECT_EQ(c->routes[0].forward.stream_idle_timeout_ms, 250u);
  auto base = std::string("clusters:\n  - name: a\n    endpoints: "
                          "[127.0.0.1:1]\n    tls: ");
  EXPECT_NE(err_of(base + "{ca_file: /nonexistent/ca.pem}\n")
              .find("clusters[0].tls.ca_file: cannot read"),
            std::string::npos);
  EXPECT_NE(err_of(base + "{cert_file: /dev/null}\n")
              .find("cert_file and key_file go together"),
            std::string::npos);
  EXPECT_NE(err_of(base + "{verfy: false}\n").find("verfy"), std::string::npos);
  EXPECT_NE(err_of("clusters:\n  - name: a\n    endpoints: [127.0.0.1:1]\n"
                   "routes:\n  - forward: {cluster: a, stream_buffer_bytes: "
                   "10}\n")
              .find("stream_buffer_bytes"),
            std::string::npos);
}
