// The pure parts of the ArangoDB HTTP API subset (issue 22): ArangoDB's
// update merge, the scope of a path, the error mapping and the route
// matcher, with malformed and hostile input.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "handlers/arango_doc_ops.hpp"
#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"

using json = nlohmann::json;
using namespace themis;

namespace {

json body_of(const api_response& r) {
  return json::parse(r.body, nullptr, false);
}

api_response themis_error(int status, json body) {
  api_response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

bool route(const std::vector<std::string>& s, std::vector<std::string>& p,
           std::string& label, method_map& m) {
  return match_arango_route(s, m, p, label);
}

} // namespace

TEST(ArangoMerge, KeepNullAndMergeObjects) {
  json doc = {{"_key", "k"}, {"_rev", "1"}, {"a", 1}, {"o", {{"x", 1}}}};
  json patch = {{"a", nullptr},
                {"o", {{"y", 2}}},
                {"_key", "evil"},
                {"_rev", "9"},
                {"_id", "c/evil"}};
  auto kept = arango_merge(doc, patch, true, true);
  EXPECT_TRUE(kept["a"].is_null());
  EXPECT_EQ(kept["o"], json({{"x", 1}, {"y", 2}}));
  EXPECT_EQ(kept["_key"], "k"); // system attributes of a patch are ignored
  EXPECT_EQ(kept["_rev"], "1");
  EXPECT_FALSE(kept.contains("_id"));
  auto dropped = arango_merge(doc, patch, false, false);
  EXPECT_FALSE(dropped.contains("a"));
  EXPECT_EQ(dropped["o"], json({{"y", 2}}));
}

TEST(ArangoMerge, NonObjectsAndDepth) {
  // an attribute that is not an object is replaced by the patch's object
  auto r = arango_merge({{"o", 5}}, {{"o", {{"x", 1}}}}, true, true);
  EXPECT_EQ(r["o"], json({{"x", 1}}));
  // a base that is not an object starts empty
  EXPECT_EQ(arango_merge(json::array(), {{"a", 1}}, true, true),
            json({{"a", 1}}));
  // deep (but parser-bounded) nesting merges level by level
  json deep = json::object(), p = json::object();
  json* cur = &p;
  for (int i = 0; i < 100; ++i)
    cur = &((*cur)["n"] = json::object());
  (*cur)["leaf"] = true;
  auto m = arango_merge(deep, p, true, true);
  EXPECT_EQ(m, p);
}

TEST(ArangoScope, PathsAndPrefixes) {
  EXPECT_EQ(arango_required_scope("POST", "/_api/cursor"), "query");
  EXPECT_EQ(arango_required_scope("PUT", "/_api/cursor/abc"), "query");
  EXPECT_EQ(arango_required_scope("POST", "/_db/acme/_api/cursor"), "query");
  EXPECT_EQ(arango_required_scope("GET", "/_api/document/c/k"), "data:read");
  EXPECT_EQ(arango_required_scope("HEAD", "/_api/document/c/k"), "data:read");
  EXPECT_EQ(arango_required_scope("DELETE", "/_api/document/c/k"),
            "data:write");
  EXPECT_EQ(arango_required_scope("POST", "/_db/x/_api/import"), "data:write");
  EXPECT_EQ(arango_required_scope("PUT", "/_api/collection/c/truncate"),
            "data:write");
  EXPECT_EQ(arango_required_scope("GET", "/_api/index"), "data:read");
  EXPECT_EQ(arango_required_scope("GET", "/_api/version"), "authenticated");
  // a lookalike prefix is not the cursor API
  EXPECT_EQ(arango_required_scope("POST", "/_api/cursorx"), "authenticated");
  EXPECT_EQ(arango_required_scope("GET", "/_db/"), "authenticated");
  EXPECT_EQ(arango_required_scope("GET", "/_db/x"), "authenticated");
}

TEST(ArangoErrors, FromThemisShapes) {
  auto c = arango_from_themis(themis_error(
    404, {{"error", true}, {"message", "collection not found: x"}}));
  EXPECT_EQ(body_of(c)["errorNum"], 1203);
  EXPECT_EQ(body_of(c)["code"], 404);
  EXPECT_EQ(body_of(c)["error"], true);
  auto parse =
    body_of(arango_from_themis(themis_error(400, {{"message", "unexpected end"},
                                                  {"error_kind", "parse"},
                                                  {"line", 1},
                                                  {"column", 9}})));
  EXPECT_EQ(parse["errorNum"], 1501);
  EXPECT_EQ(parse["errorMessage"], "unexpected end at position 1:9");
  auto bind = body_of(arango_from_themis(
    themis_error(400, {{"message", "bind parameter @x is missing"},
                       {"error_kind", "semantic"}})));
  EXPECT_EQ(bind["errorNum"], 1551);
  EXPECT_EQ(body_of(arango_from_themis(
              themis_error(409, {{"message", "exists"}}), 1207))["errorNum"],
            1207);
  EXPECT_EQ(body_of(arango_from_themis(themis_error(
              412, {{"message", "revision mismatch"}})))["errorNum"],
            1200);
  // not JSON, not an object, no message: still ArangoDB's shape
  api_response junk;
  junk.status = 500;
  junk.body = "\xff{[";
  auto j = body_of(arango_from_themis(junk));
  EXPECT_EQ(j["errorNum"], 4);
  EXPECT_EQ(j["errorMessage"], "HTTP 500");
  // successes and bodies that already carry an errorNum pass unchanged
  api_response ok;
  ok.status = 201;
  ok.body = "{\"x\":1}";
  EXPECT_EQ(arango_from_themis(ok).body, ok.body);
  auto pre = arango_error(404, 1228, "database not found");
  EXPECT_EQ(arango_from_themis(pre).body, pre.body);
}

TEST(ArangoErrors, KeepsRetryAfter) {
  auto r = themis_error(503, {{"message", "busy"}});
  r.set_header("Retry-After", "2");
  r.set_header("Content-Type", "application/json");
  auto out = arango_from_themis(r);
  ASSERT_NE(out.header("Retry-After"), nullptr);
  EXPECT_EQ(*out.header("Retry-After"), "2");
  EXPECT_EQ(body_of(out)["errorNum"], 503);
}

TEST(ArangoRoutes, PrefixAndParams) {
  std::vector<std::string> p;
  std::string label;
  method_map m;
  ASSERT_TRUE(route({"_api", "document", "c", "k"}, p, label, m));
  EXPECT_EQ(p, (std::vector<std::string>{"_system", "c", "k"}));
  EXPECT_EQ(label, "/_api/document/{c}/{key}");
  EXPECT_NE(m.patch, nullptr);
  m = {};
  ASSERT_TRUE(route({"_db", "acme", "_api", "cursor", "id1"}, p, label, m));
  EXPECT_EQ(p, (std::vector<std::string>{"acme", "id1"}));
  EXPECT_EQ(label, "/_db/{db}/_api/cursor/{id}");
  EXPECT_NE(m.put, nullptr);
  EXPECT_NE(m.del, nullptr);
  m = {};
  ASSERT_TRUE(route({"_api", "cursor", "id1", "7"}, p, label, m));
  EXPECT_EQ(m.del, nullptr); // a batch id path reads on, never deletes
}

TEST(ArangoRoutes, HostileShapes) {
  std::vector<std::string> p;
  std::string label;
  method_map m;
  EXPECT_FALSE(route({"_db"}, p, label, m));
  EXPECT_FALSE(route({"_db", "x"}, p, label, m));
  EXPECT_FALSE(route({"_db", "x", "_api"}, p, label, m));
  EXPECT_FALSE(route({"_db", "x", "notapi", "version"}, p, label, m));
  EXPECT_FALSE(route({"_api"}, p, label, m));
  // too many segments or unknown resources: ArangoDB's 404, low-cardinality
  // label (a path never becomes a metrics label)
  m = {};
  ASSERT_TRUE(route({"_api", "cursor", "a", "b", "c"}, p, label, m));
  EXPECT_EQ(label, "/_api/*");
  m = {};
  ASSERT_TRUE(
    route({"_db", "x", "_api", std::string(10000, 'z')}, p, label, m));
  EXPECT_EQ(label, "/_db/{db}/_api/*");
  m = {};
  ASSERT_TRUE(route({"_api", "index", "c"}, p, label, m));
  EXPECT_EQ(label, "/_api/*");
}

TEST(ArangoFlags, QueryOptions) {
  api_request req;
  req.query = "returnNew=true&silent&keepNull=false&waitForSync=1&x=%74rue";
  EXPECT_TRUE(arango_flag(req, "returnNew", false));
  EXPECT_TRUE(arango_flag(req, "silent", false));
  EXPECT_FALSE(arango_flag(req, "keepNull", true));
  EXPECT_TRUE(arango_flag(req, "waitForSync", false));
  EXPECT_TRUE(arango_flag(req, "x", false));
  EXPECT_TRUE(arango_flag(req, "absent", true));
  auto o = arango_read_write_opts(req);
  EXPECT_TRUE(o.return_new);
  EXPECT_FALSE(o.keep_null);
  req.query = "overwrite=true";
  EXPECT_EQ(arango_read_write_opts(req).overwrite_mode, "replace");
}
