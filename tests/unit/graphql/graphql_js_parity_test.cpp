/// What tests/node/graphql_validate_diff.js checks against graphql-js,
/// pinned here without Node: "Did you mean" suggestions, the error
/// locations of values, overlapping subfields and names; plus the
/// executor's text serialisation (the HTTP fast path) against its JSON one.

#include <gtest/gtest.h>

#include "engine/graphql/executor.hpp"
#include "engine/graphql/suggest.hpp"
#include "engine/graphql/validator.hpp"
#include "test_schema.hpp"

namespace themis::graphql {
namespace {

using json = nlohmann::json;

std::vector<error> errs(const schema& s, std::string_view q) {
  auto r = parse(q);
  EXPECT_TRUE(r.ok()) << q;
  return r.ok() ? validate(s, *r.doc) : std::vector<error>{};
}

TEST(GraphqlSuggest, ListAndWording) {
  EXPECT_EQ(suggestion_list("nam", {"name", "nickname", "barkVolume"}),
            (std::vector<std::string>{"name"}));
  // a case change alone is distance 1; ties in natural order
  EXPECT_EQ(suggestion_list("cow", {"Dog", "Cat", "COW", "Cow"}),
            (std::vector<std::string>{"COW", "Cow", "Cat", "Dog"}));
  // (graphql-js's suggestionList answers the same for these three)
  EXPECT_EQ(suggestion_list("f2", {"f10", "f1", "f2x"}),
            (std::vector<std::string>{"f1", "f2x"}));
  EXPECT_EQ(suggestion_list("item2", {"item10", "item1", "item3"}),
            (std::vector<std::string>{"item1", "item3", "item10"}));
  EXPECT_TRUE(suggestion_list("zzzzzz", {"name"}).empty());
  // hostile sizes: no work, no suggestions
  EXPECT_TRUE(suggestion_list(std::string(100000, 'a'), {"a"}).empty());
  EXPECT_EQ(did_you_mean({}), "");
  EXPECT_EQ(did_you_mean({"a"}), " Did you mean \"a\"?");
  EXPECT_EQ(did_you_mean({"a", "b"}, "the enum value"),
            " Did you mean the enum value \"a\" or \"b\"?");
  EXPECT_EQ(did_you_mean({"a", "b", "c", "d", "e", "f"}),
            " Did you mean \"a\", \"b\", \"c\", \"d\", or \"e\"?");
  EXPECT_TRUE(natural_less("a2", "a10"));
  EXPECT_FALSE(natural_less("a10", "a2"));
  EXPECT_TRUE(natural_less("a", "ab"));
}

TEST(GraphqlParity, SuggestionsInMessages) {
  auto s = test::make_spec_schema();
  auto e = errs(*s, "{ catOrDog { name } }");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "Cannot query field \"name\" on type \"CatOrDog\". "
                          "Did you mean to use an inline fragment on \"Pet\", "
                          "\"Cat\", or \"Dog\"?");
  e = errs(*s, "{ dog { doesKnowCommand(dogCommand: sit) } }");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "Value \"sit\" does not exist in \"DogCommand\" "
                          "enum. Did you mean the enum value \"SIT\"?");
  e = errs(*s, "query ($x: Dogg) { dog { name } }");
  ASSERT_EQ(e.size(), 2u); // and $x is never used
  EXPECT_EQ(e[0].message, "Unknown type \"Dogg\". Did you mean \"Dog\"?");
}

TEST(GraphqlParity, ValueErrorsAtTheirNode) {
  auto s = test::make_spec_schema();
  // each bad item of a list, at the item
  auto e = errs(*s, "{ arguments { booleanListArgField(booleanListArg: "
                    "[true, 1, \"x\"]) } }");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].message, "Boolean cannot represent a non boolean value: 1");
  EXPECT_EQ(e[0].locations[0], (location{1, 58}));
  EXPECT_EQ(e[1].locations[0], (location{1, 61}));
  // an unknown input field at its name, a bad field value at the value
  e = errs(*s, "{ findDog(searchBy: {nam: \"x\", owner: 1}) { name } }");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].message, "Field \"nam\" is not defined by type "
                          "\"FindDogInput\". Did you mean \"name\"?");
  EXPECT_EQ(e[0].locations[0], (location{1, 22}));
  EXPECT_EQ(e[1].message, "String cannot represent a non string value: 1");
  EXPECT_EQ(e[1].locations[0], (location{1, 39}));
}

TEST(GraphqlParity, NamesAndConflictChains) {
  auto s = test::make_spec_schema();
  auto e = errs(*s, "query A { dog { name } } query A { dog { nickname } }");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].locations,
            (std::vector<location>{{1, 7}, {1, 32}})); // the names
  e = errs(*s, "query ($a: Int, $a: Int, $a: Int) { arguments { "
               "intArgField(intArg: $a) } }");
  ASSERT_EQ(e.size(), 1u); // one error, every definition
  EXPECT_EQ(e[0].locations.size(), 3u);
  EXPECT_EQ(e[0].locations[0], (location{1, 9}));
  e = errs(*s, "{ dog { owner { name } } dog { owner { name: __typename } } }");
  ASSERT_EQ(e.size(), 1u);
  // dog, owner, name on one side, then on the other
  EXPECT_EQ(e[0].locations,
            (std::vector<location>{
              {1, 3}, {1, 9}, {1, 17}, {1, 26}, {1, 32}, {1, 40}}));
}

TEST(GraphqlParity, FragmentCyclesDoNotRecurseForever) {
  // found by fuzz_graphql: the overlap check followed a->b->c->a below a
  // field's selection until the stack ran out
  auto s = test::make_spec_schema();
  auto e = errs(*s, "fragment a on Dog { ...b agment a on Dog { ...b } } "
                    "fragment b on Dog { ...c } fragment c on Dog { ...a } "
                    "{ dog { ...a } }");
  EXPECT_FALSE(e.empty());
}

std::pair<std::string, std::string> both(const schema& s, std::string_view q,
                                         json root) {
  document d = test::must_parse(q);
  execute_options o;
  o.root_value = std::move(root);
  executor e(s, d, o);
  e.start();
  EXPECT_TRUE(e.done());
  return {e.response_text(), e.response_ordered().dump()};
}

TEST(GraphqlExecutorText, SameAsTheJsonResponse) {
  auto s = test::make_spec_schema();
  json root = {{"dog",
                {{"name", "R\"ex\n\u00e9"},
                 {"barkVolume", 3},
                 {"owner", {{"name", "Ann"}, {"pets", json::array()}}}}},
               {"dogs", json::array({{{"name", "a"}}, {{"name", "b"}}})},
               {"json", {{"k", {1, 2.5, nullptr, "x"}}}}};
  for (const char* q :
       {"{ dog { name barkVolume nickname owner { name pets { name } } } }",
        "{ b: dogs { n: name __typename } a: dog { ...F } json } "
        "fragment F on Dog { barkVolume name }",
        "{ human { pets { name } } dog { name } }"}) {
    auto [text, js] = both(*s, q, root);
    EXPECT_EQ(text, js) << q;
  }
  // null propagation: a null item of [Pet!]! nulls human; errors follow
  json bad = {{"human",
               {{"name", "H"},
                {"pets", {{{"__typename", "Dog"}, {"name", "a"}}, nullptr}}}}};
  auto [text, js] = both(*s, "{ human { name pets { name } } }", bad);
  EXPECT_EQ(text, js);
  EXPECT_NE(text.find("\"data\":{\"human\":null}"), std::string::npos);
}

} // namespace
} // namespace themis::graphql
