// issue 25: the etcd v3 JSON gateway codec (requests built, answers and
// watch lines decoded, hostile input refused), the replicated config
// sections' checks and the hash ring's consistency.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cluster/cluster_config.hpp"
#include "cluster/etcd_codec.hpp"
#include "cluster/hash_ring.hpp"
#include "cluster/leader_probe.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace themis::cluster;
using json = nlohmann::json;

TEST(etcd_codec, prefix_end_increments_the_last_byte) {
  EXPECT_EQ(etcd::prefix_end("/t/"), "/t0");
  EXPECT_EQ(etcd::prefix_end("a\xff"), "b");
  EXPECT_EQ(etcd::prefix_end(""), std::string(1, '\0'));
}

TEST(etcd_codec, requests_are_base64_and_string_numbers) {
  auto put = json::parse(etcd::encode_put("/t/nodes/a", "127.0.0.1:1", 42));
  EXPECT_EQ(put["key"], "L3Qvbm9kZXMvYQ=="); // "/t/nodes/a"
  EXPECT_EQ(put["value"], "MTI3LjAuMC4xOjE=");
  EXPECT_EQ(put["lease"], "42");
  EXPECT_FALSE(json::parse(etcd::encode_put("k", "v", 0)).contains("lease"));
  auto cas = json::parse(etcd::encode_cas_put("k", "v", 7));
  EXPECT_EQ(cas["compare"][0]["target"], "MOD");
  EXPECT_EQ(cas["compare"][0]["mod_revision"], "7");
  EXPECT_TRUE(cas["failure"][0].contains("request_range"));
  auto w = json::parse(etcd::encode_watch("/t/", "/t0", 9));
  EXPECT_EQ(w["create_request"]["start_revision"], "9");
  EXPECT_EQ(json::parse(etcd::encode_lease_grant(2))["TTL"], "2");
}

TEST(etcd_codec, decodes_a_range_answer) {
  // as etcd 3.4's gateway sends it (defaults left out)
  std::string text =
    R"({"header":{"cluster_id":"14841639068965178418","member_id":)"
    R"("17276657743932975437","revision":"12","raft_term":"3"},)"
    R"("kvs":[{"key":"L3Qvbm9kZXMvYQ==","create_revision":"5",)"
    R"("mod_revision":"5","version":"1","value":"MTI3LjAuMC4xOjE=",)"
    R"("lease":"7587870436402311012"}],"count":"1"})";
  std::string err;
  auto d = etcd::decode_response(text, err);
  ASSERT_TRUE(d) << err;
  EXPECT_EQ(d->header.revision, 12);
  EXPECT_EQ(d->header.raft_term, 3u);
  EXPECT_EQ(d->header.member_id, 17276657743932975437ull); // above 2^63
  ASSERT_EQ(d->kvs.size(), 1u);
  EXPECT_EQ(d->kvs[0].key, "/t/nodes/a");
  EXPECT_EQ(d->kvs[0].value, "127.0.0.1:1");
  EXPECT_EQ(d->kvs[0].create_revision, 5);
  EXPECT_EQ(d->kvs[0].lease, 7587870436402311012);
  EXPECT_FALSE(d->error);
}

TEST(etcd_codec, decodes_txn_lease_keepalive_and_errors) {
  std::string err;
  auto ok = etcd::decode_response(
    R"({"header":{"revision":"20"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"20"}}}]})",
    err);
  ASSERT_TRUE(ok) << err;
  EXPECT_TRUE(ok->succeeded);
  // failed compare: succeeded left out, the range shows the current key
  auto conflict = etcd::decode_response(
    R"({"header":{"revision":"21"},"responses":[{"response_range":{"header":{},"kvs":[{"key":"aw==","mod_revision":"19","value":"e30="}],"count":"1"}}]})",
    err);
  ASSERT_TRUE(conflict) << err;
  EXPECT_FALSE(conflict->succeeded);
  ASSERT_EQ(conflict->kvs.size(), 1u);
  EXPECT_EQ(conflict->kvs[0].mod_revision, 19);
  EXPECT_EQ(conflict->kvs[0].value, "{}");
  auto grant = etcd::decode_response(
    R"({"header":{"revision":"3"},"ID":"7587870436402311020","TTL":"2"})", err);
  ASSERT_TRUE(grant);
  EXPECT_EQ(grant->lease_id, 7587870436402311020);
  EXPECT_EQ(grant->ttl, 2);
  // keepalive of an expired lease: wrapped in result, TTL left out
  auto expired = etcd::decode_response(
    R"({"result":{"header":{"revision":"3"},"ID":"5"}})", err);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->lease_id, 5);
  EXPECT_EQ(expired->ttl, 0);
  auto e = etcd::decode_response(
    R"({"error":"etcdserver: request timed out","code":14,"message":"etcdserver: request timed out"})",
    err);
  ASSERT_TRUE(e && e->error);
  EXPECT_EQ(e->error->code, 14);
  EXPECT_EQ(e->error->message, "etcdserver: request timed out");
}

TEST(etcd_codec, decodes_watch_lines) {
  std::string err;
  auto created = etcd::decode_watch_line(
    R"({"result":{"header":{"revision":"7"},"created":true}})", err);
  ASSERT_TRUE(created) << err;
  EXPECT_TRUE(created->created);
  auto ev = etcd::decode_watch_line(
    R"({"result":{"header":{"revision":"9"},"events":[)"
    R"({"kv":{"key":"YQ==","create_revision":"8","mod_revision":"8","version":"1","value":"MQ=="}},)"
    R"({"type":"DELETE","kv":{"key":"Yg==","mod_revision":"9"}}]}})",
    err);
  ASSERT_TRUE(ev) << err;
  ASSERT_EQ(ev->events.size(), 2u);
  EXPECT_EQ(ev->events[0].type, etcd::event_type::put);
  EXPECT_EQ(ev->events[0].kv.value, "1");
  EXPECT_EQ(ev->events[1].type, etcd::event_type::del);
  EXPECT_EQ(ev->events[1].kv.key, "b");
  auto compacted = etcd::decode_watch_line(
    R"({"result":{"header":{},"canceled":true,"compact_revision":"4"}})", err);
  ASSERT_TRUE(compacted);
  EXPECT_TRUE(compacted->canceled);
  EXPECT_EQ(compacted->compact_revision, 4);
}

TEST(etcd_codec, refuses_malformed_input) {
  const char* bad[] = {
    "",                                                 // empty
    "not json",                                         // not JSON
    "[1,2]",                                            // not an object
    R"({"kvs":{"key":"a"}})",                           // kvs not an array
    R"({"kvs":[{"key":"***"}]})",                       // key not base64
    R"({"kvs":[{"key":"YQ==","mod_revision":"12x"}]})", // number with junk
    R"({"kvs":[{"key":"YQ==","mod_revision":"99999999999999999999"}]})",
    R"({"kvs":[{"key":"YQ==","lease":true}]})",           // wrong type
    R"({"header":"x"})",                                  // header not object
    R"({"header":{"member_id":"-1"}})",                   // ids are unsigned
    R"({"header":{"member_id":"99999999999999999999"}})", // above 2^64
    R"({"succeeded":"yes"})",                             // not a boolean
    R"({"responses":[{"response_range":{"kvs":5}}]})",    // bad nested range
  };
  for (auto* t : bad) {
    std::string err;
    EXPECT_FALSE(etcd::decode_response(t, err)) << t;
    EXPECT_FALSE(err.empty()) << t;
  }
  const char* bad_watch[] = {
    R"({"header":{}})",                                     // no result
    R"({"result":{"events":{}}})",                          // not an array
    R"({"result":{"events":[{"type":"RENAME","kv":{}}]}})", // unknown type
    R"({"result":{"events":[{"type":"PUT"}]}})",            // no kv
    R"({"result":{"created":"true"}})",                     // not a boolean
  };
  for (auto* t : bad_watch) {
    std::string err;
    EXPECT_FALSE(etcd::decode_watch_line(t, err)) << t;
  }
  // depth and size limits hold before the parser runs
  std::string deep(100, '[');
  std::string err;
  EXPECT_FALSE(etcd::decode_response(R"({"a":)" + deep + "}", err));
  EXPECT_NE(err.find("nested"), std::string::npos);
  etcd::codec_limits tiny;
  tiny.max_bytes = 10;
  EXPECT_FALSE(
    etcd::decode_response(R"({"header":{"revision":"1"}})", err, tiny));
  EXPECT_NE(err.find("larger"), std::string::npos);
}

TEST(cluster_config, checks_sections_before_storing) {
  replicated_section s;
  EXPECT_TRUE(parse_section("rate_limiting",
                            R"({"rules":["/ 10/1s key=ip"],"enabled":true})", s)
                .empty());
  ASSERT_TRUE(s.rate_limiting.rules);
  EXPECT_EQ(s.rate_limiting.rules->at(0), "/ 10/1s key=ip");
  EXPECT_FALSE(s.rate_limiting.groups);
  EXPECT_TRUE(
    parse_section("api_keys", R"({"revoked":["0123456789abcdef"]})", s)
      .empty());
  EXPECT_EQ(s.revoked_keys.size(), 1u);

  auto errs = parse_section(
    "rate_limiting", R"({"rules":["/ ten/1s"],"enabled":"yes","x":1})", s);
  EXPECT_EQ(errs.size(), 3u); // bad rule, not a boolean, unknown field
  EXPECT_FALSE(parse_section("nope", "{}", s).empty());
  EXPECT_FALSE(parse_section("rate_limiting", "[]", s).empty());
  EXPECT_FALSE(parse_section("rate_limiting", "{", s).empty());
  EXPECT_FALSE(parse_section("rate_limiting", R"({"rules":[1]})", s).empty());
  EXPECT_FALSE(
    parse_section("rate_limiting", R"({"rules":[[["/ 1/1s"]]]})", s).empty());
  EXPECT_FALSE(parse_section("api_keys", R"({"revoked":["../x"]})", s).empty());
  EXPECT_FALSE(parse_section("api_keys", "{}", s).empty());
  EXPECT_TRUE(parse_section("gateway", R"({"yaml":"routes: []"})", s).empty());
  EXPECT_EQ(s.gateway_yaml, "routes: []");
  EXPECT_FALSE(parse_section("gateway", R"({"yaml":5})", s).empty());
  EXPECT_FALSE(parse_section("gateway", R"({"routes":[]})", s).empty());
  EXPECT_FALSE(
    parse_section("tenant_quotas", R"({"quotas":["acme rps=x"]})", s).empty());
  EXPECT_FALSE(
    parse_section("rate_limiting", std::string(2 << 20, ' '), s).empty());
}

TEST(cluster_config, api_key_records_round_trip_and_bad_ones_are_refused) {
  replicated_api_key k;
  k.id = "0123456789abcdef";
  k.name = "fleet";
  k.user = "dev";
  k.tenant = "acme";
  k.scopes = {"data:read"};
  k.created_ms = 5;
  k.digest = std::string(64, 'a');
  auto name = api_key_section(k.id);
  EXPECT_TRUE(is_api_key_section(name));
  replicated_section s;
  auto errs = parse_section(name, api_key_text(k), s);
  EXPECT_TRUE(errs.empty()) << errs.front();
  EXPECT_EQ(s.api_key.scopes, k.scopes);
  EXPECT_EQ(s.api_key.digest, k.digest);
  EXPECT_EQ(s.api_key.tenant, "acme");
  for (const char* bad :
       {"api_key/", "api_key/0123", "api_key/0123456789ABCDEF",
        "api_key/0123456789abcdef/x", "api_keyx"})
    EXPECT_FALSE(is_api_key_section(bad)) << bad;
  auto refused = [&](std::string text) {
    return !parse_section(name, text, s).empty();
  };
  auto with = [&](auto&& change) {
    auto j = nlohmann::json::parse(api_key_text(k));
    change(j);
    return j.dump();
  };
  EXPECT_TRUE(refused(with([](auto& j) { j["id"] = "fedcba9876543210"; })));
  EXPECT_TRUE(refused(with([](auto& j) { j["digest"] = "abc"; })));
  EXPECT_TRUE(refused(with([](auto& j) { j.erase("digest"); })));
  EXPECT_TRUE(refused(with([](auto& j) { j["tenant"] = "Not A Tenant"; })));
  EXPECT_TRUE(refused(with([](auto& j) { j["scopes"] = {1}; })));
  EXPECT_TRUE(refused(with([](auto& j) { j["scopes"] = {""}; })));
  EXPECT_TRUE(refused(with([](auto& j) { j["expires_ms"] = -1; })));
  EXPECT_TRUE(refused(with([](auto& j) { j["secret"] = "x"; })));
  EXPECT_TRUE(
    refused(with([](auto& j) { j["user"] = std::string(300, 'u'); })));
  EXPECT_TRUE(refused("[]"));
  EXPECT_TRUE(refused("{"));
}

TEST(hash_ring, same_answer_from_any_order_and_few_moves) {
  std::vector<std::string> nodes = {"n1", "n2", "n3", "n4", "n5"};
  hash_ring a(nodes, 64);
  hash_ring b({"n5", "n3", "n1", "n4", "n2"}, 64);
  std::map<std::string, int> share;
  const int keys = 20000;
  for (int i = 0; i < keys; ++i) {
    auto k = "session-" + std::to_string(i);
    ASSERT_EQ(a.owner(k), b.owner(k));
    ++share[a.owner(k)];
  }
  for (auto& [n, c] : share) // balanced within ±35 % of 1/N
    EXPECT_NEAR(c, keys / 5, keys / 5 * 0.35) << n;
  hash_ring c({"n1", "n2", "n4", "n5"}, 64); // n3 leaves
  int moved = 0;
  for (int i = 0; i < keys; ++i) {
    auto k = "session-" + std::to_string(i);
    if (a.owner(k) != c.owner(k)) {
      ++moved;
      EXPECT_EQ(a.owner(k), "n3"); // only n3's keys move
    }
  }
  EXPECT_EQ(moved, share["n3"]);
  EXPECT_EQ(hash_ring().owner("x"), "");
}

TEST(leader_probe, refused_only_when_nothing_listens) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  ASSERT_EQ(::listen(fd, 4), 0);
  EXPECT_EQ(probe_tcp(addr, 500), probe_result::accepted);
  ::close(fd); // the process "died": the port refuses
  EXPECT_EQ(probe_tcp(addr, 500), probe_result::refused);
  EXPECT_EQ(probe_tcp("no-port", 100), probe_result::unknown);
  EXPECT_EQ(probe_tcp("127.0.0.1:notaport", 100), probe_result::unknown);
}
