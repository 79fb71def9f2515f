// GraphQL glue, pure parts: the list filter/sort translation to AQL and the
// catalog-to-schema name mapping (hostile input included).

#include <gtest/gtest.h>

#include <set>

#include "engine/aql/parser.hpp"
#include "engine/sql/pg_types.hpp"
#include "handlers/graphql_catalog.hpp"
#include "handlers/graphql_filter.hpp"
#include "handlers/graphql_resolvers.hpp"

using namespace themis::gql;
using json = nlohmann::json;

namespace {

/// The condition must be AQL the real parser accepts.
void parses(const aql_condition& c) {
  ASSERT_TRUE(c.ok()) << c.error;
  auto q =
    "FOR d IN c FILTER " + (c.text.empty() ? "true" : c.text) + " RETURN d";
  EXPECT_NO_THROW(themis::aql::parse(q)) << q;
}

} // namespace

TEST(GraphqlFilter, EqualityAndOperators) {
  auto c = filter_to_aql(json::parse(R"({"status":"open","age":{"gte":18,
    "lt":65}})"),
                         "d");
  parses(c);
  EXPECT_EQ(c.text, "(d.`age` >= @gf0 && d.`age` < @gf1) && d.`status` == "
                    "@gf2");
  EXPECT_EQ(c.binds["gf0"], 18);
  EXPECT_EQ(c.binds["gf2"], "open");
}

TEST(GraphqlFilter, CombinatorsPathsListsLikeExists) {
  auto c =
    filter_to_aql(json::parse(R"({"_or":[{"a.b":1},{"_not":{"c":{"in":[1,2]}}}],
      "n":{"like":"x%"},"m":{"exists":false},"k":{"nin":[]}})"),
                  "d");
  parses(c);
  EXPECT_NE(c.text.find("d.`a`.`b` == @"), std::string::npos);
  EXPECT_NE(c.text.find("!(d.`c` IN @"), std::string::npos);
  EXPECT_NE(c.text.find("LIKE(d.`n`, @"), std::string::npos);
  EXPECT_NE(c.text.find("d.`m` == null"), std::string::npos);
  EXPECT_NE(c.text.find("NOT IN"), std::string::npos);
}

TEST(GraphqlFilter, NullAndEmpty) {
  EXPECT_TRUE(filter_to_aql(json(), "d").text.empty());
  auto c = filter_to_aql(json::object(), "d");
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.text.empty());
}

TEST(GraphqlFilter, HostileInputIsRefusedNotTranslated) {
  // injection attempts through field paths: never spliced into the text
  for (std::string path :
       {"a` || true || `b", "a\\", "", "a..b", ".a", "a.", "a\x01"}) {
    json f = json::object();
    f[path] = 1;
    auto c = filter_to_aql(f, "d");
    EXPECT_FALSE(c.ok()) << path;
  }
  // values go to bind parameters whatever they hold
  auto v = filter_to_aql(json::parse(R"({"a":"1 || true"})"), "d");
  parses(v);
  EXPECT_EQ(v.text, "d.`a` == @gf0");
  EXPECT_FALSE(filter_to_aql(json::parse("[1]"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"a":{"bogus":1}})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"a":{}})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"a":{"in":5}})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"a":{"like":5}})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"_or":[]})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"_or":{}})"), "d").ok());
  EXPECT_FALSE(filter_to_aql(json::parse(R"({"_not":[1]})"), "d").ok());
}

TEST(GraphqlFilter, DepthAndSizeBounds) {
  json deep = {{"a", 1}};
  for (int i = 0; i < 100000; ++i)
    deep = {{"_not", std::move(deep)}};
  auto c = filter_to_aql(deep, "d");
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.error.find("deeper"), std::string::npos);
  json wide = json::object();
  for (int i = 0; i < 1000; ++i)
    wide["f" + std::to_string(i)] = i;
  EXPECT_FALSE(filter_to_aql(wide, "d").ok());
  json big_in = {{"a", {{"in", json::array()}}}};
  for (int i = 0; i < 1001; ++i)
    big_in["a"]["in"].push_back(i);
  EXPECT_FALSE(filter_to_aql(big_in, "d").ok());
  EXPECT_FALSE(filter_to_aql({{std::string(300, 'a'), 1}}, "d").ok());
}

TEST(GraphqlSort, KeysDirectionsAndTieBreak) {
  std::string err;
  auto s = sort_to_aql(json::parse(R"([{"field":"age","direction":"DESC"},
    {"field":"name.first"}])"),
                       "d", false, err);
  EXPECT_TRUE(err.empty());
  EXPECT_EQ(s, "d.`age` DESC, d.`name`.`first` ASC, d._key ASC");
  EXPECT_EQ(sort_to_aql(json(), "d", true, err), "d._key DESC");
  for (auto bad :
       {R"({"field":"a"})", R"([{"field":1}])", R"([{}])",
        R"([{"field":"a","direction":"UP"}])", R"([{"field":"a`b"}])"}) {
    err.clear();
    sort_to_aql(json::parse(bad), "d", false, err);
    EXPECT_FALSE(err.empty()) << bad;
  }
  json many = json::array();
  for (int i = 0; i < 9; ++i)
    many.push_back({{"field", "f"}});
  err.clear();
  sort_to_aql(many, "d", false, err);
  EXPECT_FALSE(err.empty());
}

TEST(GraphqlCatalog, NamesAreSanitisedAndValid) {
  EXPECT_TRUE(valid_name("orders"));
  EXPECT_FALSE(valid_name("__x"));
  EXPECT_FALSE(valid_name("9a"));
  EXPECT_FALSE(valid_name("a-b"));
  EXPECT_FALSE(valid_name(""));
  for (auto raw : {"a-b", "9lives", "__schema", "-", "", "ok_name", "ü"})
    EXPECT_TRUE(valid_name(sanitize_name(raw))) << raw;
}

TEST(GraphqlCatalog, CollisionsGetSuffixes) {
  std::vector<raw_collection> raw = {
    {"a-b", "a-b", false, {}},           {"a_b", "a_b", false, {}},
    {"Query", "Query", false, {}},       {"page-info", "page-info", false, {}},
    {"PageInfo", "PageInfo", false, {}}, {"jobs", "jobs", false, {}}};
  auto cat = map_catalog(raw);
  std::set<std::string> types, fields;
  for (auto& t : cat.types) {
    EXPECT_TRUE(valid_name(t.type_name)) << t.type_name;
    EXPECT_TRUE(valid_name(t.field)) << t.field;
    EXPECT_TRUE(types.insert(t.type_name).second) << t.type_name;
    EXPECT_TRUE(fields.insert(t.field).second) << t.field;
    EXPECT_NE(t.type_name, "Query");
    EXPECT_NE(t.type_name, "PageInfo");
    EXPECT_NE(t.field, "jobs");
  }
  EXPECT_EQ(cat.types.size(), raw.size());
}

TEST(GraphqlCatalog, TypedColumns) {
  namespace o = themis::sql::oid;
  raw_collection t{"items",
                   "acme.items",
                   true,
                   {{"_key", o::text, true},
                    {"id", o::int4, true},
                    {"price", o::numeric, false},
                    {"in-stock", o::boolean, false},
                    {"in_stock", o::text, false},
                    {"meta", o::jsonb, false}}};
  auto cat = map_catalog({t});
  ASSERT_EQ(cat.types.size(), 1u);
  auto& f = cat.types[0].fields;
  ASSERT_EQ(f.size(), 5u); // _key is the built-in field
  EXPECT_EQ(f[0].name, "id");
  EXPECT_EQ(f[0].type, "Int");
  EXPECT_TRUE(f[0].non_null);
  EXPECT_EQ(f[1].type, "Float");
  EXPECT_EQ(f[2].name, "in_stock");
  EXPECT_EQ(f[2].column, "in-stock");
  EXPECT_EQ(f[3].name, "in_stock_2");
  EXPECT_EQ(f[4].type, "JSON");
  auto node = node_of(cat.types[0], json::parse(R"({"_key":"k","_rev":"r",
    "id":3,"in-stock":true})"));
  EXPECT_EQ(node["_id"], "items/k");
  EXPECT_EQ(node["in_stock"], true);
  EXPECT_TRUE(node["price"].is_null());
}

TEST(GraphqlCursor, RoundTripAndGarbage) {
  std::string raw;
  for (auto s : {"k:abc", "o:0", "k:", "k:\xff\x00z"}) {
    auto c = make_cursor(s);
    ASSERT_TRUE(read_cursor(c, raw));
    EXPECT_EQ(raw, s);
  }
  EXPECT_FALSE(read_cursor("", raw));
  EXPECT_FALSE(read_cursor("a b", raw));
  EXPECT_FALSE(read_cursor(std::string(1000, 'A'), raw));
}

// --- the parsed-document cache (graphql_doc_cache.hpp)

#include "handlers/graphql_doc_cache.hpp"
#include "engine/graphql/parser.hpp"

namespace {

std::shared_ptr<const themis::graphql::document> doc_of(const std::string& q) {
  auto r = themis::graphql::parse(q);
  EXPECT_TRUE(r.ok()) << q;
  return std::make_shared<themis::graphql::document>(std::move(*r.doc));
}

} // namespace

TEST(GraphqlDocCache, KeyedByTenantEpochLimitsAndText) {
  doc_cache c;
  auto k = doc_cache::key("acme", 7, "15/30", "{ a }");
  c.put(k, 5, doc_of("{ a }"));
  EXPECT_NE(c.find(k), nullptr);
  EXPECT_EQ(c.find(doc_cache::key("beta", 7, "15/30", "{ a }")), nullptr);
  EXPECT_EQ(c.find(doc_cache::key("acme", 8, "15/30", "{ a }")), nullptr);
  EXPECT_EQ(c.find(doc_cache::key("acme", 7, "15/31", "{ a }")), nullptr);
  EXPECT_EQ(c.find(doc_cache::key("acme", 7, "15/30", "{ a  }")), nullptr);
  // a tenant name cannot forge another's key with the separator
  EXPECT_NE(doc_cache::key("a\n7", 7, "x", "q"),
            doc_cache::key("a", 7, "7\nx", "q"));
  EXPECT_EQ(c.hits(), 1u);
  EXPECT_EQ(c.misses(), 4u);
}

TEST(GraphqlDocCache, BoundedByEntriesAndBytesLruFirstOut) {
  doc_cache c;
  auto d = doc_of("{ a }");
  for (size_t i = 0; i < doc_cache::max_entries + 50; ++i)
    c.put(doc_cache::key("t", 1, "", std::to_string(i)), 10, d);
  EXPECT_EQ(c.size(), doc_cache::max_entries);
  EXPECT_EQ(c.find(doc_cache::key("t", 1, "", "0")), nullptr); // evicted
  EXPECT_NE(c.find(doc_cache::key("t", 1, "", "1000")), nullptr);
  // too large: never cached; large ones push older ones out by bytes
  c.put("big", doc_cache::max_entry_bytes + 1, d);
  EXPECT_EQ(c.find("big"), nullptr);
  for (int i = 0; i < 40; ++i)
    c.put("b" + std::to_string(i), doc_cache::max_entry_bytes, d);
  EXPECT_EQ(c.find("b0"), nullptr); // 16 such fill the byte budget
  EXPECT_NE(c.find("b39"), nullptr);
}

TEST(GraphqlDocCache, VariablesThatFeedTheComplexityAreSeen) {
  EXPECT_FALSE(
    validation_reads_variables(*doc_of("{ aList(first: 5) { n } }")));
  EXPECT_TRUE(validation_reads_variables(
    *doc_of("query($n: Int) { aList(first: $n) { n } }")));
  EXPECT_TRUE(validation_reads_variables(
    *doc_of("query($n: Int) { x { ...F } } fragment F on X { y(limit: $n) }")));
  EXPECT_FALSE(
    validation_reads_variables(*doc_of("query($k: ID!) { a(key: $k) { n } }")));
}
