// Per-collection JSON Schemas (issue 22): the untrusted compiler's limits
// and refusals, the safe keywords (RE2 pattern, format, uniqueItems) with
// hostile input, and the triggers that enforce the levels in SQLite.

#include "engine/collection_schema.hpp"

#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/json_schema_keywords.hpp"
#include "engine/sqlite_db.hpp"

using nlohmann::json;
using namespace themis::engine;

namespace {

std::shared_ptr<const json_schema> compile(const json& s, std::string& err) {
  return json_schema::compile_untrusted(s, schema_limits{}, err);
}

bool valid(const json& schema, const json& doc) {
  std::string err;
  auto c = compile(schema, err);
  EXPECT_TRUE(c) << err;
  return c && c->violations(doc, "document", 5).empty();
}

} // namespace

TEST(CollectionSchema, RefusesWhatCouldHangOrRecurse) {
  std::string err;
  EXPECT_FALSE(compile(json{{"$ref", "#"}}, err));
  EXPECT_NE(err.find("$ref"), std::string::npos);
  EXPECT_FALSE(compile(
    json{{"properties", {{"a", {{"items", {{"$ref", "#"}}}}}}}}, err));
  EXPECT_EQ(err.rfind("#/properties/a/items/$ref", 0), 0u) << err;
  EXPECT_FALSE(compile(json{{"patternProperties", {{"^a", true}}}}, err));
  // ECMA-262 look-ahead and back-references: RE2 cannot run them
  EXPECT_FALSE(compile(json{{"pattern", "(?=a)b"}}, err));
  EXPECT_NE(err.find("RE2"), std::string::npos);
  EXPECT_FALSE(compile(json{{"pattern", "(a)\\1"}}, err));
  EXPECT_FALSE(compile(json{{"pattern", 5}}, err));
  EXPECT_FALSE(compile(json{{"pattern", std::string(2000, 'a')}}, err));
  json deep = json::object();
  for (int i = 0; i < 40; ++i)
    deep = json{{"not", deep}};
  EXPECT_FALSE(compile(deep, err));
  EXPECT_NE(err.find("deeper"), std::string::npos);
  json big = {{"enum", json::array()}};
  for (int i = 0; i < 20000; ++i)
    big["enum"].push_back("value-" + std::to_string(i));
  EXPECT_FALSE(compile(big, err));
  EXPECT_FALSE(compile(json("a string"), err));
  EXPECT_FALSE(compile(json{{"type", 5}}, err)); // valijson refuses it
  EXPECT_FALSE(compile(json{{"properties", 3}}, err));
  // a property called "pattern" or "$ref" is a name, not a keyword
  EXPECT_TRUE(compile(json{{"properties",
                            {{"pattern", {{"type", "string"}}},
                             {"$ref", {{"type", "integer"}}}}}},
                      err))
    << err;
  EXPECT_TRUE(compile(json(true), err));
}

TEST(CollectionSchema, PatternRunsOnRe2) {
  json s = {{"properties", {{"a", {{"type", "string"}, {"pattern", "^[a-z]+$"}}}}}};
  EXPECT_TRUE(valid(s, {{"a", "abc"}}));
  EXPECT_FALSE(valid(s, {{"a", "abC"}}));
  EXPECT_TRUE(valid(s, {{"a", 5}}) == false); // type still applies
  // std::regex recursed per character here and overflowed the stack
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(valid(s, {{"a", std::string(2'000'000, 'a')}}));
  EXPECT_FALSE(valid(json{{"pattern", "^(a+)+$"}}, std::string(100000, 'a') + "!"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // unanchored, as JSON Schema says
  EXPECT_TRUE(valid(json{{"pattern", "b"}}, "abc"));
  // propertyNames with a pattern: the supported patternProperties stand-in
  json names = {{"propertyNames", {{"pattern", "^[a-z_]+$"}}}};
  EXPECT_TRUE(valid(names, {{"ok_name", 1}}));
  EXPECT_FALSE(valid(names, {{"Bad", 1}}));
}

TEST(CollectionSchema, Formats) {
  for (auto [f, good, bad] : std::vector<std::tuple<const char*, const char*,
                                                    const char*>>{
         {"date", "2024-02-29", "2023-02-29"},
         {"date", "2026-12-31", "2026-13-01"},
         {"time", "23:59:60.5+01:00", "24:00:00Z"},
         {"date-time", "2026-12-07T15:07:06Z", "2026-12-07 15:07:06"},
         {"date-time", "2026-12-07t15:07:06.123-05:30", "2026-12-07T15:07Z"},
         {"uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567e89b"},
         {"email", "a.b@example.org", "a@@b.org"},
         {"email", "x@y.z", "no at sign"},
         {"ipv4", "192.168.0.1", "256.1.1.1"},
         {"ipv6", "::1", "1::2::3"}}) {
    EXPECT_TRUE(format_holds(f, good)) << f << " " << good;
    EXPECT_FALSE(format_holds(f, bad)) << f << " " << bad;
  }
  EXPECT_TRUE(format_holds("unknown-format", "anything"));
  EXPECT_FALSE(format_holds("date-time", std::string(1'000'000, '1')));
  EXPECT_FALSE(valid(json{{"format", "email"}}, "nope"));
  EXPECT_TRUE(valid(json{{"format", "email"}}, 5)); // formats apply to strings
}

TEST(CollectionSchema, UniqueItemsInNLogN) {
  json s = {{"uniqueItems", true}};
  EXPECT_TRUE(valid(s, json::array({1, 2, "1", json::array({1})})));
  EXPECT_FALSE(valid(s, json::array({1, 1.0})));
  EXPECT_FALSE(valid(s, json::array({json{{"a", 1}, {"b", 2}},
                                     json{{"b", 2}, {"a", 1}}})));
  EXPECT_TRUE(valid(s, json::array({json{{"a", "1"}}, json{{"a", 1}}})));
  json many = json::array();
  for (int i = 0; i < 200000; ++i)
    many.push_back(i);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(valid(s, many));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  std::string err;
  EXPECT_FALSE(compile(json{{"uniqueItems", "yes"}}, err));
}

TEST(CollectionSchema, ParseBody) {
  collection_schema s;
  EXPECT_EQ(parse_collection_schema(json{{"rule", {{"type", "object"}}}}, s),
            "");
  EXPECT_EQ(s.level, "strict");
  EXPECT_EQ(parse_collection_schema(
              json{{"rule", json::object()}, {"level", "none"}}, s),
            "");
  EXPECT_EQ(s.level, "off");
  for (auto bad : {json::array(), json{{"level", "strict"}},
                   json{{"rule", json::object()}, {"level", "STRICT"}},
                   json{{"rule", json::object()}, {"level", 1}},
                   json{{"rule", json::object()}, {"message", 1}},
                   json{{"rule", json::object()}, {"extra", 1}},
                   json{{"rule", {{"$ref", "#"}}}},
                   json{{"rule", json::object()},
                        {"message", std::string(2000, 'm')}}})
    EXPECT_NE(parse_collection_schema(bad, s), "") << bad.dump();
}

namespace {

/// An in-memory store with the tables the triggers read.
struct mem_store {
  sqlite_db db{":memory:", false, 1000};
  mem_store() {
    db.exec("CREATE TABLE collections(name TEXT PRIMARY KEY, created_ms "
            "INTEGER NOT NULL) WITHOUT ROWID; CREATE TABLE documents("
            "collection TEXT NOT NULL, key TEXT NOT NULL, rev TEXT NOT NULL, "
            "doc TEXT NOT NULL, PRIMARY KEY(collection, key)) WITHOUT ROWID");
    install_collection_schemas(db);
    install_collection_schemas(db); // idempotent
    register_schema_function(db.handle());
    db.exec("INSERT INTO collections VALUES('c', 0), ('free', 0)");
  }
  void rule(const char* level, const char* message = "") {
    collection_schema s;
    s.rule = {{"type", "object"},
              {"required", {"n"}},
              {"additionalProperties", false},
              {"properties", {{"n", {{"type", "integer"}, {"minimum", 0}}}}}};
    s.level = level;
    s.message = message;
    EXPECT_EQ(set_collection_schema(db, "c", s), "");
  }
  /// Upsert as the store writer does; the refusal, or "" when stored.
  std::string put(const char* coll, const char* key, const json& doc) {
    try {
      db.prepare("INSERT INTO documents VALUES(?1, ?2, '1', ?3) ON "
                 "CONFLICT(collection, key) DO UPDATE SET doc = excluded.doc")
        .bind(1, coll)
        .bind(2, key)
        .bind(3, doc.dump())
        .run();
      return {};
    } catch (const sqlite_error& e) {
      auto r = schema_refusal(e.what());
      return r.empty() ? std::string("other: ") + e.what() : r;
    }
  }
  /// A plain UPDATE, as SQL's UPDATE runs.
  std::string update(const char* key, const json& doc) {
    try {
      db.prepare("UPDATE documents SET doc = ?2 WHERE collection = 'c' AND "
                 "key = ?1")
        .bind(1, key)
        .bind(2, doc.dump())
        .run();
      return {};
    } catch (const sqlite_error& e) {
      return schema_refusal(e.what());
    }
  }
};

} // namespace

TEST(CollectionSchema, StrictChecksEveryWrite) {
  mem_store s;
  // stored before the rule: not checked when the rule is set
  EXPECT_EQ(s.put("c", "old", {{"x", 1}}), "");
  s.rule("strict", "n must be a count");
  EXPECT_EQ(s.put("c", "a", {{"n", 1}, {"_key", "a"}, {"_rev", "9"}}), "");
  auto r = s.put("c", "b", {{"n", -1}});
  EXPECT_TRUE(is_schema_refusal(r)) << r;
  EXPECT_NE(r.find("n must be a count"), std::string::npos) << r;
  EXPECT_NE(r.find("#/n"), std::string::npos) << r;
  EXPECT_NE(s.put("c", "b", {{"m", 1}}), "");
  EXPECT_NE(s.update("a", {{"n", "one"}}), "");
  EXPECT_NE(s.update("old", {{"x", 2}}), ""); // strict: the old one too
  EXPECT_EQ(s.put("free", "b", {{"m", 1}}), ""); // another collection
}

TEST(CollectionSchema, ModerateNewOff) {
  mem_store s;
  EXPECT_EQ(s.put("c", "old", {{"x", 1}}), "");
  s.rule("moderate");
  EXPECT_EQ(s.put("c", "old", {{"x", 2}}), "");   // invalid already
  EXPECT_EQ(s.update("old", {{"x", 3}}), "");
  EXPECT_EQ(s.put("c", "a", {{"n", 1}}), "");
  EXPECT_NE(s.put("c", "a", {{"n", -5}}), "");    // valid now: checked
  EXPECT_NE(s.update("a", {{"n", -5}}), "");
  EXPECT_NE(s.put("c", "new", {{"x", 1}}), "");   // inserts checked
  s.rule("new");
  EXPECT_NE(s.put("c", "new", {{"x", 1}}), "");
  EXPECT_EQ(s.put("c", "a", {{"x", 1}}), "");     // updates are not
  s.rule("off");
  EXPECT_EQ(s.put("c", "new", {{"x", 1}}), "");
  EXPECT_EQ(set_collection_schema(s.db, "c", std::nullopt), "");
  EXPECT_FALSE(load_collection_schema(s.db, "c"));
  // a dropped collection forgets its schema
  s.rule("strict");
  ASSERT_TRUE(load_collection_schema(s.db, "c"));
  s.db.exec("DELETE FROM collections WHERE name = 'c'");
  EXPECT_FALSE(load_collection_schema(s.db, "c"));
}

TEST(CollectionSchema, RefusalParsing) {
  EXPECT_EQ(schema_refusal("step: 23514\x1f"
                           "document does not match the collection schema: x"),
            "document does not match the collection schema: x");
  EXPECT_EQ(schema_refusal("23514\x1f"
                           "edge attribute missing"),
            "");
  EXPECT_FALSE(is_schema_refusal("document not found"));
}
