// JSON Patch (RFC 6902) and JSON Pointer (RFC 6901): the RFC 6902
// Appendix A examples, pointer escapes, atomicity, and a block of hostile
// or malformed patches (sizes and depths checked before any walk).

#include "engine/json_patch.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace themis::engine;

namespace {

/// Applies `patch` to `doc`; the status, and the result in `doc`.
json_patch_status run(json& doc, const char* patch,
                      const json_patch_limits& l = {}) {
  return apply_json_patch(doc, json::parse(patch), l).status;
}

void expect_result(const char* doc, const char* patch, const char* want) {
  auto d = json::parse(doc);
  ASSERT_EQ(run(d, patch), json_patch_status::ok) << patch;
  EXPECT_EQ(d, json::parse(want)) << patch;
}

void expect_error(const char* doc, const char* patch, json_patch_status s) {
  auto d = json::parse(doc);
  auto before = d;
  EXPECT_EQ(run(d, patch), s) << patch;
  EXPECT_EQ(d, before) << "a failed patch changed the document: " << patch;
}

} // namespace

TEST(JsonPatch, AppendixA) {
  // A.1 .. A.16 of RFC 6902, in order
  expect_result(R"({"foo":"bar"})",
                R"([{"op":"add","path":"/baz","value":"qux"}])",
                R"({"baz":"qux","foo":"bar"})");
  expect_result(R"({"foo":["bar","baz"]})",
                R"([{"op":"add","path":"/foo/1","value":"qux"}])",
                R"({"foo":["bar","qux","baz"]})");
  expect_result(R"({"baz":"qux","foo":"bar"})",
                R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})");
  expect_result(R"({"foo":["bar","qux","baz"]})",
                R"([{"op":"remove","path":"/foo/1"}])",
                R"({"foo":["bar","baz"]})");
  expect_result(R"({"baz":"qux","foo":"bar"})",
                R"([{"op":"replace","path":"/baz","value":"boo"}])",
                R"({"baz":"boo","foo":"bar"})");
  expect_result(
    R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
    R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  expect_result(R"({"foo":["all","grass","cows","eat"]})",
                R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
                R"({"foo":["all","cows","eat","grass"]})");
  expect_result(R"({"baz":"qux","foo":["a",2,"c"]})",
                R"([{"op":"test","path":"/baz","value":"qux"},
                    {"op":"test","path":"/foo/1","value":2}])",
                R"({"baz":"qux","foo":["a",2,"c"]})");
  expect_error(R"({"baz":"qux"})",
               R"([{"op":"test","path":"/baz","value":"bar"}])",
               json_patch_status::test_failed);
  expect_result(R"({"foo":"bar"})",
                R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
                R"({"foo":"bar","child":{"grandchild":{}}})");
  // A.11: members an operation does not know are ignored
  expect_result(R"({"foo":"bar"})",
                R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
                R"({"foo":"bar","baz":"qux"})");
  expect_error(R"({"foo":"bar"})",
               R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
               json_patch_status::unresolved);
  // A.13 (duplicate members) is the JSON parser's: nlohmann keeps the last
  // one. A.14: "~01" is the member "~1", not "/"
  expect_result(R"({"/":9,"~1":10})",
                R"([{"op":"test","path":"/~01","value":10}])",
                R"({"/":9,"~1":10})");
  expect_error(R"({"/":9,"~1":10})",
               R"([{"op":"test","path":"/~01","value":"10"}])",
               json_patch_status::test_failed);
  expect_result(R"({"foo":["bar"]})",
                R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
                R"({"foo":["bar",["abc","def"]]})");
}

TEST(JsonPatch, Pointers) {
  EXPECT_EQ(parse_json_pointer("")->size(), 0u);
  EXPECT_EQ(*parse_json_pointer("/"), std::vector<std::string>{""});
  EXPECT_EQ(*parse_json_pointer("/a~1b/~0/c%d"),
            (std::vector<std::string>{"a/b", "~", "c%d"}));
  EXPECT_EQ(*parse_json_pointer("/~01"), std::vector<std::string>{"~1"});
  for (auto bad : {"a", "a/b", "/~", "/~2", "/a~", "~1"})
    EXPECT_FALSE(parse_json_pointer(bad)) << bad;
}

TEST(JsonPatch, CopyRootAndAtomicity) {
  expect_result(R"({"a":{"b":1}})",
                R"([{"op":"copy","from":"/a","path":"/c"}])",
                R"({"a":{"b":1},"c":{"b":1}})");
  expect_result(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])",
                "[1]");
  expect_result(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])",
                R"({"a":1})");
  // the first two would succeed: nothing of them stays
  auto d = json::parse(R"({"a":1})");
  auto r = apply_json_patch(d, json::parse(R"([
      {"op":"add","path":"/b","value":2},
      {"op":"remove","path":"/a"},
      {"op":"test","path":"/b","value":3}])"));
  EXPECT_EQ(r.status, json_patch_status::test_failed);
  EXPECT_EQ(r.op_index, 2u);
  EXPECT_NE(r.message.find("operation 2 (test)"), std::string::npos);
  EXPECT_EQ(d, json::parse(R"({"a":1})"));
}

TEST(JsonPatch, BadInput) {
  using st = json_patch_status;
  const char* doc = R"({"a":[1,2],"o":{"k":"v"}})";
  expect_error(doc, R"({"op":"add"})", st::malformed);
  expect_error(doc, R"([1])", st::malformed);
  expect_error(doc, R"([{"path":"/a"}])", st::malformed);
  expect_error(doc, R"([{"op":7,"path":"/a"}])", st::malformed);
  expect_error(doc, R"([{"op":"frob","path":"/a"}])", st::malformed);
  expect_error(doc, R"([{"op":"add","path":"/x"}])", st::malformed);
  expect_error(doc, R"([{"op":"add","value":1}])", st::malformed);
  expect_error(doc, R"([{"op":"add","path":5,"value":1}])", st::malformed);
  expect_error(doc, R"([{"op":"copy","path":"/x"}])", st::malformed);
  expect_error(doc, R"([{"op":"add","path":"a","value":1}])", st::bad_pointer);
  expect_error(doc, R"([{"op":"add","path":"/~2","value":1}])",
               st::bad_pointer);
  expect_error(doc, R"([{"op":"move","from":"/~","path":"/b"}])",
               st::bad_pointer);
  expect_error(doc, R"([{"op":"remove","path":"/nope"}])", st::unresolved);
  expect_error(doc, R"([{"op":"remove","path":"/a/2"}])", st::unresolved);
  expect_error(doc, R"([{"op":"remove","path":"/a/-"}])", st::unresolved);
  expect_error(doc, R"([{"op":"remove","path":"/a/01"}])", st::unresolved);
  expect_error(doc, R"([{"op":"remove","path":""}])", st::unresolved);
  expect_error(doc, R"([{"op":"add","path":"/a/3","value":1}])",
               st::unresolved);
  expect_error(doc,
               R"([{"op":"add","path":"/a/99999999999999999999","value":1}])",
               st::unresolved);
  expect_error(doc, R"([{"op":"replace","path":"/z","value":1}])",
               st::unresolved);
  expect_error(doc, R"([{"op":"add","path":"/o/k/x","value":1}])",
               st::unresolved);
  expect_error(doc, R"([{"op":"move","from":"/o","path":"/o/k2"}])",
               st::unresolved);
  expect_error(doc, R"([{"op":"test","path":"/a/5","value":1}])",
               st::unresolved);
}

TEST(JsonPatch, Limits) {
  using st = json_patch_status;
  json_patch_limits l;
  l.max_ops = 3;
  auto d = json::parse("{}");
  EXPECT_EQ(run(d, R"([{"op":"test","path":"","value":{}},
                       {"op":"test","path":"","value":{}},
                       {"op":"test","path":"","value":{}},
                       {"op":"test","path":"","value":{}}])",
                l),
            st::too_large);
  // a document copied into itself doubles each time: stopped by the count
  l = {};
  l.max_growth = 10000;
  std::string grow = "[";
  for (int i = 0; i < 40; ++i)
    grow += std::string(i ? "," : "") + R"({"op":"copy","from":"","path":"/x)" +
            std::to_string(i) + "\"}";
  grow += "]";
  d = json::parse(R"({"a":[1,2,3]})");
  auto before = d;
  EXPECT_EQ(run(d, grow.c_str(), l), st::too_large);
  EXPECT_EQ(d, before);
  // nesting by copying into a child: stopped by the depth limit
  l = {};
  l.max_depth = 8;
  std::string deep = "[";
  for (int i = 0; i < 10; ++i)
    deep +=
      std::string(i ? "," : "") + R"({"op":"copy","from":"","path":"/n"})";
  deep += "]";
  d = json::parse(R"({"a":1})");
  auto r = apply_json_patch(d, json::parse(deep), l);
  EXPECT_EQ(r.status, st::too_large);
  EXPECT_EQ(r.op_index, 7u);
  EXPECT_EQ(http_status_of(st::too_large), 422);
  EXPECT_EQ(http_status_of(st::test_failed), 409);
  EXPECT_EQ(http_status_of(st::bad_pointer), 400);
}
