// Edge caching (issue 22): conditional-request rules (RFC 9110 §13), the
// middleware's headers, surrogate keys and the purge queue's bounds.

#include <gtest/gtest.h>

#include "handlers/cache_middleware.hpp"
#include "handlers/cache_policy.hpp"
#include "handlers/cache_purge_queue.hpp"
#include "handlers/http_conditional.hpp"
#include "themis/server_config.hpp"

using namespace themis;

TEST(IfNoneMatch, WeakComparisonOverALlist) {
  EXPECT_TRUE(if_none_match_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"a\"", "W/\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"x\",\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches(" * ", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"b\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"ab\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("", "\"a\""));
}

TEST(IfNoneMatch, MalformedListsMatchNothing) {
  // a bare token, an unterminated tag, garbage after a miss
  EXPECT_FALSE(if_none_match_matches("a", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"a", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"b\", junk \"a\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("W/", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("**", "\"a\""));
}

TEST(HttpDate, ThreeFormats) {
  // RFC 9110 §5.6.7's example instant
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
}

TEST(HttpDate, BadDatesAreIgnored) {
  for (auto bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 6 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1969 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra"})
    EXPECT_FALSE(parse_http_date(bad)) << bad;
}

TEST(BodyEtag, StableStrongAndDistinct) {
  auto a = body_etag("{\"a\":1}");
  EXPECT_EQ(a, body_etag("{\"a\":1}"));
  EXPECT_NE(a, body_etag("{\"a\":2}"));
  EXPECT_EQ(a.front(), '"');
  EXPECT_EQ(a.back(), '"');
  EXPECT_NE(a.rfind("W/", 0), 0u);
  EXPECT_NE(body_etag(""), body_etag(std::string(1, '\0')));
  // every byte counts, also in the tail after the last 8-byte word
  std::string big(1000, 'x');
  auto whole = body_etag(big);
  for (size_t at : {0u, 7u, 8u, 500u, 991u, 999u}) {
    auto b = big;
    b[at] = 'y';
    EXPECT_NE(body_etag(b), whole) << at;
  }
  EXPECT_EQ(body_etag(big).substr(0, 2), "\"h");
  EXPECT_EQ(body_etag(big).substr(18), "-3e8\"");
}

TEST(CachePolicy, Rendering) {
  auto p = cache_policy::shared(0, 60).stale(10, 300);
  p.render();
  EXPECT_EQ(p.shared_value, "public, max-age=0, s-maxage=60, "
                            "stale-while-revalidate=10, stale-if-error=300");
  EXPECT_EQ(p.private_value, "private, max-age=0");
  auto q = cache_policy::personal(30);
  q.render();
  EXPECT_EQ(q.shared_value, "private, max-age=30");
}

TEST(SurrogateKeys, EncodedToSafeTokens) {
  EXPECT_EQ(collection_surrogate_key("", "orders"), "coll:/orders");
  EXPECT_EQ(collection_surrogate_key("acme", "orders"), "coll:acme/orders");
  EXPECT_EQ(document_surrogate_key("acme", "orders", "k 1.(x)|y"),
            "doc:acme/orders/k%201%2E%28x%29%7Cy");
}

namespace {

struct fixture {
  cache_policy policy;
  cache_section cfg;
  api_request req;
  std::vector<std::string> params{"orders", "k1"};
  std::string scope = "data:read";

  fixture() {
    policy = cache_policy::shared(0, 60).keyed_document();
    policy.render();
    req.method = "GET";
  }
  api_response run(api_response r) {
    auto c = begin_cache(policy, &scope, req, params, cfg);
    if (c)
      apply_cache(*c, r);
    return r;
  }
  static api_response ok(std::string body = "{\"a\":1}") {
    api_response r;
    r.body = std::move(body);
    r.set_header("Content-Type", "application/json");
    return r;
  }
};

} // namespace

TEST(CacheMiddleware, SharedAnswerHeaders) {
  fixture f;
  auto r = f.run(fixture::ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(*r.header("Cache-Control"), "public, max-age=0, s-maxage=60");
  EXPECT_EQ(*r.header("ETag"), body_etag("{\"a\":1}"));
  EXPECT_EQ(*r.header("Vary"), "Authorization, X-API-Key");
  EXPECT_EQ(*r.header("Surrogate-Key"), "doc:/orders/k1 themis-all");
  EXPECT_EQ(*r.header("Cache-Tag"), "doc:/orders/k1,themis-all");
  EXPECT_FALSE(r.header("Last-Modified"));
}

TEST(CacheMiddleware, AuthenticatedIsPrivateUnlessConfigured) {
  fixture f;
  f.req.who.via = "jwt";
  f.req.who.tenant = "acme";
  auto r = f.run(fixture::ok());
  EXPECT_EQ(*r.header("Cache-Control"), "private, max-age=0");
  EXPECT_FALSE(r.header("Surrogate-Key"));
  f.cfg.authenticated_public = true;
  r = f.run(fixture::ok());
  EXPECT_EQ(*r.header("Cache-Control"), "public, max-age=0, s-maxage=60");
  EXPECT_EQ(*r.header("Surrogate-Key"), "doc:acme/orders/k1 themis-all");
}

TEST(CacheMiddleware, IfNoneMatchGives304WithoutBody) {
  fixture f;
  f.req.headers.emplace_back("If-None-Match",
                             "\"zz\", W/" + body_etag("{\"a\":1}"));
  auto r = f.run(fixture::ok());
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(r.header("Content-Type"));
  EXPECT_TRUE(r.header("ETag"));
  EXPECT_TRUE(r.header("Cache-Control"));
  EXPECT_TRUE(r.header("Vary"));
}

TEST(CacheMiddleware, IfNoneMatchWinsOverIfModifiedSince) {
  fixture f;
  f.policy = f.policy.static_content();
  f.policy.render();
  // a date in the future would say "not modified", the tag says changed
  f.req.headers.emplace_back("If-None-Match", "\"old\"");
  f.req.headers.emplace_back("If-Modified-Since",
                             "Fri, 01 Jan 2100 00:00:00 GMT");
  auto r = f.run(fixture::ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("Last-Modified"));
  // alone, the date decides
  f.req.headers.erase(f.req.headers.begin());
  EXPECT_EQ(f.run(fixture::ok()).status, 304);
  // a date before the start: modified since
  f.req.headers.back().second = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(f.run(fixture::ok()).status, 200);
  // an unparsable date is ignored
  f.req.headers.back().second = "soon";
  EXPECT_EQ(f.run(fixture::ok()).status, 200);
}

TEST(CacheMiddleware, IfModifiedSinceWithoutADateIsIgnored) {
  fixture f; // documents have no modification time
  f.req.headers.emplace_back("If-Modified-Since",
                             "Fri, 01 Jan 2100 00:00:00 GMT");
  EXPECT_EQ(f.run(fixture::ok()).status, 200);
}

TEST(CacheMiddleware, OtherStatusesAndNoStoreUntouched) {
  fixture f;
  auto e = fixture::ok();
  e.status = 404;
  auto r = f.run(e);
  EXPECT_FALSE(r.header("Cache-Control"));
  EXPECT_FALSE(r.header("ETag"));
  auto ns = fixture::ok();
  ns.set_header("Cache-Control", "no-store");
  r = f.run(ns);
  EXPECT_EQ(*r.header("Cache-Control"), "no-store");
  EXPECT_FALSE(r.header("Surrogate-Key"));
  f.cfg.enabled = false;
  EXPECT_FALSE(f.run(fixture::ok()).header("Cache-Control"));
}

TEST(CacheMiddleware, HandlerEtagKeptAndPublicRouteDoesNotVary) {
  fixture f;
  f.scope = "";
  auto in = fixture::ok();
  in.set_header("ETag", "\"rev1\"");
  in.set_header("Vary", "Origin");
  auto r = f.run(in);
  EXPECT_EQ(*r.header("ETag"), "\"rev1\"");
  EXPECT_EQ(*r.header("Vary"), "Origin");
  append_vary(r, "Accept, origin");
  EXPECT_EQ(*r.header("Vary"), "Origin, Accept");
}

TEST(PurgeQueue, CoalescesAndSplitsByHeaderSize) {
  cache_purge_queue q(1 << 20, 40);
  std::vector<engine::change_event> ev(3);
  ev[0] = {1, "PUT", "orders", "a", "{}", 0};
  ev[1] = {2, "DELETE", "acme.orders", "b", "", 0};
  ev[2] = {3, "PUT", "orders", "a", "{}", 0};
  q.add_events(ev);
  engine::change_event marker{4, "TRANSACTION_COMMIT", "", "", "", 0};
  q.add_events({marker});
  auto batches = q.take();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], "doc:/orders/a coll:/orders");
  EXPECT_EQ(batches[1], "doc:acme/orders/b coll:acme/orders");
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.take().empty());
}

TEST(PurgeQueue, OverflowPurgesEverything) {
  cache_purge_queue q(64, 4096);
  for (int i = 0; i < 20; ++i)
    q.add("doc:/c/key" + std::to_string(i));
  EXPECT_EQ(q.overflows(), 1u);
  EXPECT_GT(q.dropped(), 0u);
  EXPECT_LE(q.bytes(), 64u);
  auto b = q.take();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], "themis-all");
  // bounded again afterwards
  q.add("doc:/c/x");
  EXPECT_EQ(q.take(), std::vector<std::string>{"doc:/c/x"});
}
