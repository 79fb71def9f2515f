// The handler registry (issue 22): matching semantics of the old if-chain
// (parameters, labels, gates, literal precedence, reserved /api/v1), the
// scope of every operation against the gate's path rules, registration
// errors, the schemas (no `pattern`), request validation with hostile
// input, the generated OpenAPI document, and deprecation headers.

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "handlers/arango_routes.hpp"
#include "handlers/auth_gate.hpp"
#include "handlers/openapi_document.hpp"
#include "handlers/request_validation.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_table.hpp"
#include "handlers/version_handlers.hpp"

using json = nlohmann::json;
using namespace themis;

namespace {

const route_registry& reg() {
  return route_registry::global();
}

struct hit {
  bool ok = false;
  method_map m;
  std::vector<std::string> params;
  std::string label;
};

hit route(const std::string& path, bool debug = false, bool faults = false) {
  hit h;
  h.ok =
    match_route(split_template(path), debug, faults, h.m, h.params, h.label);
  return h;
}

/// A concrete path for a template: captures become x1, x2, …; `*` zz.
std::string sample(const std::string& tmpl) {
  std::string out;
  int n = 0;
  for (auto& s : split_template(tmpl)) {
    if (s == "*")
      out += "/zz";
    else if (s.front() == '{')
      out += "/x" + std::to_string(++n);
    else
      out += "/" + s;
  }
  return out.empty() ? "/" : out;
}

api_request request(std::string method, std::string path, std::string query,
                    std::string body) {
  api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  return r;
}

} // namespace

TEST(RouteRegistry, MatchesLikeTheOldTable) {
  auto h = route("/");
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.label, "/");
  EXPECT_TRUE(h.m.any && h.m.get);
  h = route("/health");
  EXPECT_EQ(h.label, "/health");
  EXPECT_TRUE(h.m.any);
  h = route("/v1/collections/c1/documents/k1");
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.label, "/v1/collections/{c}/documents/{key}");
  EXPECT_EQ(h.params, (std::vector<std::string>{"c1", "k1"}));
  EXPECT_TRUE(h.m.get && h.m.put && h.m.patch && h.m.del && !h.m.post);
  EXPECT_FALSE(route("/v1/collections/c1/other").ok);
  EXPECT_FALSE(route("/v1/collections/c1/documents/k1/x").ok);
  // literal segments win over captures whatever the order
  h = route("/api/v1/keys/abc");
  EXPECT_EQ(h.label, "/api/v1/keys/{id}");
  EXPECT_EQ(h.params, (std::vector<std::string>{"abc"}));
  h = route("/api/audit/export/csv");
  EXPECT_EQ(h.label, "/api/audit/export/csv");
  h = route("/api/m/c/i");
  EXPECT_EQ(h.label, "/api/{model}/{collection}/{id}");
  EXPECT_EQ(h.params, (std::vector<std::string>{"m", "c", "i"}));
  // /api/v1 is reserved: no fall-through to the Go SDK's route
  EXPECT_FALSE(route("/api/v1/admin/nope").ok);
  EXPECT_FALSE(route("/api/v1/x/y").ok);
  EXPECT_TRUE(route("/api/v1/admin/status").ok);
  // gates
  EXPECT_FALSE(route("/v1/_admin/faults").ok);
  EXPECT_TRUE(route("/v1/_admin/faults", false, true).ok);
  EXPECT_FALSE(route("/v1/_debug/crash", false, true).ok);
  EXPECT_TRUE(route("/v1/_debug/crash", true, false).ok);
  h = route("/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(h.label, "/.well-known/oauth-protected-resource");
  EXPECT_FALSE(route("/nope").ok);
  EXPECT_FALSE(route("/transaction/nope").ok);
  h = route("/v2/jobs/j1/result");
  EXPECT_EQ(h.params, (std::vector<std::string>{"j1"}));
}

TEST(RouteRegistry, ArangoPathsMatchTheirOwnMatcher) {
  for (std::string p : {"/_api/version",
                        "/_api/database/current",
                        "/_api/cursor",
                        "/_api/cursor/12",
                        "/_api/cursor/12/3",
                        "/_api/document/c",
                        "/_api/document/c/k",
                        "/_api/collection",
                        "/_api/collection/c",
                        "/_api/collection/c/count",
                        "/_api/index",
                        "/_api/index/c/1",
                        "/_api/import",
                        "/_api/nothing",
                        "/_api/index/c",
                        "/_api/a/b/c/d/e",
                        "/_db/acme/_api/cursor/5/6",
                        "/_db/acme/_api/document/c/k",
                        "/_db/acme/_api/zzz",
                        "/_db/acme/x",
                        "/_db/acme/_api",
                        "/_api"}) {
    SCOPED_TRACE(p);
    auto segs = split_template(p);
    method_map m;
    std::vector<std::string> params;
    std::string label;
    bool old = match_arango_route(segs, m, params, label);
    auto h = route(p);
    ASSERT_EQ(old, h.ok);
    if (!old)
      continue;
    EXPECT_EQ(label, h.label);
    EXPECT_EQ(params, h.params);
    EXPECT_EQ(m.get, h.m.get);
    EXPECT_EQ(m.post, h.m.post);
    EXPECT_EQ(m.put, h.m.put);
    EXPECT_EQ(m.patch, h.m.patch);
    EXPECT_EQ(m.del, h.m.del);
  }
}

TEST(RouteRegistry, ScopesAreTheGatesPathRules) {
  // routes added with the registry whose scope differs from what the old
  // path rule would say, by design: a read sent as POST
  const std::set<std::string> newer = {
    "/v1/collections/{c}/documents:batchGet", "/api/v1/collections/{c}/schema",
    // issue 27: the Functions API
    "/api/v1/functions", "/api/v1/functions/{id}",
    "/api/v1/functions/{id}/wasm", "/api/v1/functions/{id}/invoke",
    "/api/v1/functions/{id}/logs", "/api/v1/functions/{id}/triggers",
    "/api/v1/functions/{id}/triggers/"
    "{trigger}",
    // bound routes: any method, read
    "/fn/{tenant}/{id}", "/fn/{tenant}/{id}/*",
    // issue 24: USB admin keys declare admin (the path rule says
    // "authenticated" for /api/…; the handlers check the global admin)
    "/api/v1/admin/usb-keys", "/api/v1/admin/usb-keys/{id}"};
  size_t checked = 0;
  for (auto& e : reg().routes()) {
    if (e->reserved || !e->own_prefix.empty() ||
        (!e->tags.empty() && e->tags.front() == "meta") || newer.count(e->path))
      continue; // twins and the new meta routes had no path rule
    auto path = sample(e->path);
    for (auto& o : e->ops) {
      for (std::string m : o.method == "*"
                             ? std::vector<std::string>{"GET", "POST"}
                             : std::vector<std::string>{o.method}) {
        SCOPED_TRACE(m + " " + path);
        auto legacy = auth_gate::path_scope(m, path, false);
        EXPECT_EQ(auth_gate::required_scope(m, path, false), legacy);
        if (o.scope) {
          EXPECT_EQ(*o.scope, legacy);
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100u);
  // the twin carries its canonical's scope, not /api/'s "authenticated"
  EXPECT_EQ(auth_gate::required_scope("POST", "/api/v1/collections", false),
            "data:write");
  EXPECT_EQ(auth_gate::required_scope("GET", "/api/v1/entities/t:1", false),
            "data:read");
  EXPECT_EQ(auth_gate::required_scope("GET", "/metrics", true), "");
  EXPECT_EQ(auth_gate::required_scope("GET", "/metrics", false), "admin");
  EXPECT_EQ(auth_gate::required_scope("GET", "/openapi.json", false), "");
}

TEST(RouteRegistry, TwinsAndDeprecation) {
  auto h = route("/api/v1/collections/c1/documents/k1");
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.label, "/api/v1/collections/{c}/documents/{key}");
  EXPECT_EQ(h.params, (std::vector<std::string>{"c1", "k1"}));
  EXPECT_TRUE(route("/api/v1/query/aql").ok);
  EXPECT_TRUE(route("/api/v1/entities/t:1").ok);
  // /query's twin would be /v1/query's: the older path keeps it
  EXPECT_EQ(reg().find("/query")->alias_of, "");
  auto old = reg().find("/v1/collections/{c}");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->alias_of, "/api/v1/collections/{c}");
  auto op = old->op("GET");
  ASSERT_TRUE(op && op->deprecation.active());
  auto hs = deprecation_headers(*old, *op, {"c1"});
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(hs[0].second, "@1796083200");
  EXPECT_EQ(hs[1].second, "Wed, 01 Dec 2027 00:00:00 GMT");
  EXPECT_EQ(hs[2].second,
            "</api/v1/collections/c1>; rel=\"successor-version\"");
  auto twin = reg().find("/api/v1/collections/{c}");
  ASSERT_TRUE(twin);
  EXPECT_FALSE(twin->op("GET")->deprecation.active());
  EXPECT_EQ(twin->serve_as_prefix, "/v1/");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(RouteRegistry, RegistrationErrors) {
  route_registry r;
  r.add("/a/{x}").get(nullptr, "a");
  EXPECT_THROW(r.add("/a/{x}"), std::logic_error);
  r.add("/a/{y}").get(nullptr, "same shape");
  EXPECT_THROW(r.finish(), std::logic_error);
  route_registry r2;
  r2.add("/b/*/c").get(nullptr, "star inside");
  EXPECT_THROW(r2.finish(), std::logic_error);
  route_registry r3;
  EXPECT_THROW(r3.add("/c").scope("x"), std::logic_error); // no op yet
  route_registry r4;
  r4.add("/d").get(nullptr, "d");
  EXPECT_THROW(r4.add("/e").get(nullptr, "e").get(nullptr, "twice"),
               std::logic_error);
}

TEST(RouteRegistry, SchemasDeclareNoPatterns) {
  std::function<bool(const json&)> has_pattern = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("pattern") || j.contains("patternProperties"))
        return true;
      for (auto& [k, v] : j.items())
        if (has_pattern(v))
          return true;
    } else if (j.is_array()) {
      for (auto& v : j)
        if (has_pattern(v))
          return true;
    }
    return false;
  };
  for (auto& e : reg().routes())
    for (auto& o : e->ops) {
      SCOPED_TRACE(o.method + " " + e->path);
      EXPECT_FALSE(has_pattern(o.body_schema));
      EXPECT_FALSE(has_pattern(o.query_schema));
      EXPECT_EQ(o.body_schema.is_null(), o.body_check == nullptr);
    }
}

TEST(RequestValidation, BodyViolationsWithPointers) {
  auto op = reg().find("/v1/collections")->op("POST");
  ASSERT_TRUE(op);
  EXPECT_FALSE(validate_request(
    *op, request("POST", "/v1/collections", "", R"({"name":"c"})")));
  // empty and non-JSON bodies are the handler's to refuse
  EXPECT_FALSE(
    validate_request(*op, request("POST", "/v1/collections", "", "")));
  EXPECT_FALSE(
    validate_request(*op, request("POST", "/v1/collections", "", "{nope")));
  auto bad = validate_request(
    *op, request("POST", "/v1/collections", "", R"({"name":5,"type":[1]})"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(*bad->header("Content-Type"), "application/problem+json");
  auto p = json::parse(bad->body);
  EXPECT_EQ(p["status"], 400);
  EXPECT_EQ(p["status_code"], 400);
  EXPECT_EQ(p["error"], true);
  std::set<std::string> ptrs;
  for (auto& e : p["errors"])
    ptrs.insert(e["pointer"].get<std::string>());
  EXPECT_TRUE(ptrs.count("#/name"));
  EXPECT_TRUE(ptrs.count("#/type"));
  // a missing required property points at the object that lacks it
  bad = validate_request(*op, request("POST", "/v1/collections", "", "{}"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(json::parse(bad->body)["errors"][0]["pointer"], "#");
  // not an object at all: the handler's own refusal and message
  EXPECT_FALSE(
    validate_request(*op, request("POST", "/v1/collections", "", "[1,2]")));
}

TEST(RequestValidation, HostileBodiesStayBounded) {
  auto op = reg().find("/v1/collections")->op("POST");
  // nesting past limits.max_json_depth: the parser's 400, no recursion
  std::string deep(100000, '[');
  auto bad =
    validate_request(*op, request("POST", "/v1/collections", "", deep));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  // many violations: the list is capped
  std::string many = "[";
  for (int i = 0; i < 5000; ++i)
    many += std::string(i ? "," : "") + "1";
  many += "]";
  auto cq = reg().find("/v1/query")->op("POST");
  bad =
    validate_request(*cq, request("POST", "/v1/query", "",
                                  R"({"query":"x","bind_vars":)" + many + "}"));
  ASSERT_TRUE(bad);
  EXPECT_LE(json::parse(bad->body)["errors"].size(), 20u);
}

TEST(RequestValidation, QueryParametersAreTyped) {
  auto op = reg().find("/v1/collections/{c}/documents")->op("GET");
  ASSERT_TRUE(op && op->query_check);
  auto path = "/v1/collections/c/documents";
  EXPECT_FALSE(validate_request(*op, request("GET", path, "limit=5", "")));
  EXPECT_FALSE(validate_request(*op, request("GET", path, "other=x", "")));
  for (auto q : {"limit=abc", "limit=0", "limit=1001", "limit=-1",
                 "limit=99999999999999999999", "limit=1.5"}) {
    SCOPED_TRACE(q);
    auto bad = validate_request(*op, request("GET", path, q, ""));
    ASSERT_TRUE(bad);
    auto e = json::parse(bad->body)["errors"][0];
    EXPECT_EQ(e["in"], "query");
    EXPECT_EQ(e["pointer"], "#/limit");
  }
  EXPECT_EQ(query_object(op->query_schema, "limit=7&after=k%2F1"),
            json({{"limit", 7}, {"after", "k/1"}}));
}

TEST(RequestValidation, PointerEscapes) {
  EXPECT_EQ(pointer_of({"<root>"}), "#");
  EXPECT_EQ(pointer_of({"<root>", "[a/b]", "[m~n]", "[0]"}), "#/a~1b/m~0n/0");
  EXPECT_EQ(pointer_of({"<root>", "[]"}), "#/");
}

TEST(OpenApi, DocumentIsConsistent) {
  auto doc = openapi_document(reg(), "test");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  auto& paths = doc["paths"];
  EXPECT_GT(paths.size(), 60u);
  EXPECT_TRUE(paths.contains("/api/v1/collections/{c}/documents/{key}"));
  EXPECT_TRUE(paths.contains("/_api/cursor/{id}/{batch}"));
  EXPECT_FALSE(paths.contains("/v1/_debug/crash"));
  std::set<std::string> ids;
  std::function<void(const json&)> refs = [&](const json& j) {
    if (j.is_object()) {
      if (auto r = j.find("$ref"); r != j.end()) {
        auto ptr = r->get<std::string>().substr(1); // "#/a/b" → "/a/b"
        EXPECT_TRUE(doc.contains(json::json_pointer(ptr))) << ptr;
      }
      for (auto& [k, v] : j.items())
        refs(v);
    } else if (j.is_array()) {
      for (auto& v : j)
        refs(v);
    }
  };
  refs(doc);
  for (auto& [path, item] : paths.items()) {
    size_t captures = 0;
    for (auto& s : split_template(path))
      captures += s.front() == '{';
    for (auto& [method, op] : item.items()) {
      SCOPED_TRACE(method + " " + path);
      EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second);
      EXPECT_FALSE(op["summary"].get<std::string>().empty());
      size_t declared = 0;
      for (auto& p : op.value("parameters", json::array()))
        declared += p["in"] == "path";
      EXPECT_EQ(declared, captures);
      EXPECT_TRUE(op["responses"].contains("500"));
    }
  }
  EXPECT_TRUE(paths["/v1/collections"]["get"].value("deprecated", false));
  EXPECT_FALSE(paths["/api/v1/collections"]["get"].contains("deprecated"));
}

TEST(Deprecation, PrincipalsAreBounded) {
  for (int i = 0; i < 1000; ++i)
    count_deprecated_call("p" + std::to_string(i), "/v1/collections");
  EXPECT_EQ(deprecation_principals(), max_deprecation_principals);
}
