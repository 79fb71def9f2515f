#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

#include "engine/graphql/executor.hpp"
#include "test_schema.hpp"

namespace themis::graphql {
namespace {

using json = nlohmann::json;
using test::make_spec_schema;
using test::must_parse;

json run(const schema& s, std::string_view q, json vars = json::object(),
         json root = json::object(), std::string op = {}) {
  document d = must_parse(q);
  execute_options o;
  o.variables = std::move(vars);
  o.root_value = std::move(root);
  o.operation_name = std::move(op);
  return execute_sync(s, d, o);
}

json dog_root() {
  return {{"dog",
           {{"name", "Rex"},
            {"nickname", nullptr},
            {"barkVolume", 3},
            {"owner", {{"name", "Ann"}, {"pets", json::array()}}}}}};
}

TEST(GraphqlExecutor, DefaultResolversAliasesFragments) {
  auto s = make_spec_schema();
  auto r = run(*s,
               "query { d: dog { name ...F ... on Dog { barkVolume } "
               "owner { name } __typename } }"
               "fragment F on Pet { name nickname }",
               {}, dog_root());
  EXPECT_EQ(r, json::parse(R"({"data":{"d":{"name":"Rex","nickname":null,
    "barkVolume":3,"owner":{"name":"Ann"},"__typename":"Dog"}}})"));
}

TEST(GraphqlExecutor, SkipIncludeWithVariables) {
  auto s = make_spec_schema();
  auto r = run(*s,
               "query($s: Boolean!, $i: Boolean = false) { dog { "
               "name @skip(if: $s) nickname @include(if: $i) barkVolume } }",
               {{"s", true}}, dog_root());
  EXPECT_EQ(r["data"]["dog"], json({{"barkVolume", 3}}));
}

TEST(GraphqlExecutor, VariableCoercionErrorsAreRequestErrors) {
  auto s = make_spec_schema();
  auto r = run(*s, "query($x: Int!) { arguments { intArgField(intArg: $x) } }",
               json::object());
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"][0]["message"],
            "Variable \"$x\" of required type \"Int!\" was not provided.");
  r = run(*s, "query($x: Int) { arguments { intArgField(intArg: $x) } }",
          {{"x", "abc"}});
  EXPECT_FALSE(r.contains("data"));
  EXPECT_EQ(r["errors"][0]["message"],
            "Variable \"$x\" got invalid value \"abc\"; Int cannot represent "
            "non-integer value: \"abc\"");
  r = run(*s, "query($x: Int) { arguments { intArgField(intArg: $x) } }",
          {{"x", 3000000000LL}});
  EXPECT_FALSE(r.contains("data"));
  r = run(*s, "query($x: FindDogInput) { findDog(searchBy: $x) { name } }",
          {{"x", {{"nope", 1}}}});
  EXPECT_NE(r["errors"][0]["message"].get<std::string>().find(
              "Field \"nope\" is not defined by type \"FindDogInput\""),
            std::string::npos);
  r = run(*s, "{ a }", {}, {}, "Missing");
  EXPECT_EQ(r["errors"][0]["message"], "Unknown operation named \"Missing\".");
  r = run(*s, "query A { dog { name } } query B { dog { name } }");
  EXPECT_EQ(r["errors"][0]["message"],
            "Must provide operation name if query contains multiple "
            "operations.");
}

TEST(GraphqlExecutor, NullPropagationAndErrorPaths) {
  auto s = make_spec_schema();
  // Human.pets is [Pet!]!: a null item nulls the list, which nulls human
  json root = {{"human",
                {{"name", "H"},
                 {"pets", {{{"__typename", "Dog"}, {"name", "a"}}, nullptr}}}}};
  auto r = run(*s, "{ human { name pets { name } } dog { name } }", {}, root);
  EXPECT_TRUE(r["data"]["human"].is_null());
  EXPECT_TRUE(r["data"]["dog"].is_null());
  ASSERT_EQ(r["errors"].size(), 1u);
  EXPECT_EQ(r["errors"][0]["message"],
            "Cannot return null for non-nullable field Human.pets.");
  EXPECT_EQ(r["errors"][0]["path"], json({"human", "pets", 1}));
  EXPECT_EQ(r["errors"][0]["locations"][0],
            json({{"line", 1}, {"column", 16}}));
  // non-null leaf with a bad value: result coercion error
  root = {{"dog", {{"name", json::array()}, {"barkVolume", "loud"}}}};
  r = run(*s, "{ dog { barkVolume name } }", {}, root);
  EXPECT_TRUE(r["data"]["dog"].is_null());
  EXPECT_EQ(r["errors"].size(), 2u);
  EXPECT_EQ(r["errors"][0]["path"], json({"dog", "barkVolume"}));
}

std::unique_ptr<schema> resolver_schema(int& batch_calls, int& single_calls) {
  auto s = make_spec_schema();
  type_def* human = s->find_mutable("Human");
  for (auto& f : human->fields) {
    if (f.name == "name") {
      f.resolve_batch = [&batch_calls](batch_context& c) {
        ++batch_calls;
        std::vector<field_result> out;
        for (const auto* p : c.parents)
          out.push_back(
            field_result::of("owner of " + p->value("dogName", std::string())));
        return out;
      };
    }
  }
  type_def* dog = s->find_mutable("Dog");
  for (auto& f : dog->fields) {
    if (f.name == "owner") {
      f.resolve = [&single_calls](resolve_context& c) {
        ++single_calls;
        return field_result::of(
          json{{"dogName", c.parent.value("name", std::string())}});
      };
    }
    if (f.name == "nickname") {
      f.resolve = [](resolve_context& c) {
        if (c.parent.value("name", std::string()) == "b")
          return field_result::fail("no nickname for b", "NOPE");
        return field_result::of("nick");
      };
    }
  }
  type_def* query = s->find_mutable("Query");
  for (auto& f : query->fields) {
    if (f.name == "dogs") {
      f.resolve = [](resolve_context& c) {
        json out = json::array();
        int n = c.args.value("first", 3);
        for (int i = 0; i < n; ++i)
          out.push_back({{"name", std::string(1, char('a' + i))}});
        return field_result::of(out);
      };
    }
  }
  return s;
}

TEST(GraphqlExecutor, BatchResolverCalledOncePerLevel) {
  int batch_calls = 0, single_calls = 0;
  auto s = resolver_schema(batch_calls, single_calls);
  auto r = run(*s, "{ dogs(first: 5) { name owner { name } nickname } }");
  EXPECT_EQ(batch_calls, 1);
  EXPECT_EQ(single_calls, 5);
  ASSERT_EQ(r["data"]["dogs"].size(), 5u);
  EXPECT_EQ(r["data"]["dogs"][4]["owner"]["name"], "owner of e");
  // the error of one item nulls only that nullable field, with its path
  ASSERT_EQ(r["errors"].size(), 1u);
  EXPECT_EQ(r["errors"][0]["path"], json({"dogs", 1, "nickname"}));
  EXPECT_EQ(r["errors"][0]["extensions"]["code"], "NOPE");
  EXPECT_TRUE(r["data"]["dogs"][1]["nickname"].is_null());
  // two aliased lists at the same level share nothing (different nodes),
  // but each is batched
  batch_calls = 0;
  run(*s, "{ a: dogs(first: 2) { owner { name } } b: dogs(first: 3) { owner "
          "{ name } } }");
  EXPECT_EQ(batch_calls, 2);
}

TEST(GraphqlExecutor, DeferredFieldsAndSerialMutations) {
  auto s = make_spec_schema();
  std::vector<std::string> order;
  std::vector<deferred_handle> handles;
  type_def* m = s->find_mutable("Mutation");
  for (auto& f : m->fields) {
    if (f.name == "setName") {
      f.resolve = [&](resolve_context& c) {
        order.push_back("start " + c.args["name"].get<std::string>());
        auto h = c.defer();
        handles.push_back(h);
        return field_result::pending(h);
      };
    }
  }
  document d =
    must_parse("mutation { a: setName(name: \"1\") b: setName(name: \"2\") }");
  executor e(*s, d, {});
  e.start();
  ASSERT_FALSE(e.done());
  ASSERT_EQ(order.size(), 1u); // the second waits for the first
  EXPECT_EQ(e.pending(), 1u);
  EXPECT_FALSE(e.resolve(999, field_result::of("x"))); // unknown handle
  EXPECT_TRUE(e.resolve(handles[0], field_result::of("one")));
  e.resume();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_FALSE(e.done());
  e.resolve(handles[1], field_result::fail("write conflict", "CONFLICT"));
  e.resume();
  ASSERT_TRUE(e.done());
  auto r = e.response();
  EXPECT_EQ(r["data"], json({{"a", "one"}, {"b", nullptr}}));
  EXPECT_EQ(r["errors"][0]["path"], json({"b"}));
}

TEST(GraphqlExecutor, QueryFieldsDeferInParallel) {
  auto s = make_spec_schema();
  std::vector<deferred_handle> handles;
  type_def* q = s->find_mutable("Query");
  for (auto& f : q->fields) {
    if (f.name == "dog" || f.name == "human") {
      f.resolve = [&](resolve_context& c) {
        auto h = c.defer();
        handles.push_back(h);
        return field_result::pending(h);
      };
    }
  }
  document d = must_parse("{ dog { name } human { name } }");
  executor e(*s, d, {});
  e.start();
  ASSERT_EQ(handles.size(), 2u); // both started before either completes
  e.resolve(handles[1], field_result::of(json{{"name", "H"}}));
  e.resume();
  EXPECT_FALSE(e.done());
  e.resolve(handles[0], field_result::of(json{{"name", "D"}}));
  e.resume();
  ASSERT_TRUE(e.done());
  EXPECT_EQ(e.response()["data"],
            json::parse(R"({"dog":{"name":"D"},"human":{"name":"H"}})"));
}

TEST(GraphqlExecutor, ArgumentsAndInputCoercion) {
  auto s = make_spec_schema();
  json seen;
  type_def* q = s->find_mutable("Query");
  for (auto& f : q->fields)
    if (f.name == "findDog" || f.name == "json")
      f.resolve = [&](resolve_context& c) {
        seen = c.args;
        return field_result::of(nullptr);
      };
  run(*s, "query($n: String) { findDog(searchBy: {name: $n}) { name } }",
      {{"n", "x"}});
  EXPECT_EQ(seen, json({{"searchBy", {{"name", "x"}}}}));
  run(*s, "{ json(value: {a: [1, 2.5, \"s\", true, null, E]}) }");
  EXPECT_EQ(seen, json::parse(R"({"value":{"a":[1,2.5,"s",true,null,"E"]}})"));
}

TEST(GraphqlExecutor, Subscriptions) {
  auto s = make_spec_schema();
  document d = must_parse("subscription S($x: Int) { m: newMessage { body } }");
  execute_options o;
  o.variables = {{"x", 1}};
  std::vector<error> errs;
  auto root = subscription_root_field(*s, d, o, errs);
  ASSERT_TRUE(root) << errs[0].message;
  EXPECT_EQ(root->field_name, "newMessage");
  EXPECT_EQ(root->response_key, "m");
  o.subscription_event = json{{"body", "hi"}, {"sender", "x"}};
  EXPECT_EQ(execute_sync(*s, d, o),
            json::parse(R"({"data":{"m":{"body":"hi"}}})"));
}

TEST(GraphqlExecutor, ResolverExceptionsBecomeFieldErrors) {
  auto s = make_spec_schema();
  for (auto& f : s->find_mutable("Query")->fields)
    if (f.name == "dog")
      f.resolve = [](resolve_context&) -> field_result {
        throw std::runtime_error("boom");
      };
  auto r = run(*s, "{ dog { name } }");
  EXPECT_TRUE(r["data"]["dog"].is_null());
  EXPECT_EQ(r["errors"][0]["message"], "boom");
}

std::string read_fixture(const char* name) {
  std::ifstream in(std::string(THEMIS_GRAPHQL_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(GraphqlIntrospection, StandardQueryFromGraphqlJs) {
  auto s = make_spec_schema();
  std::string q = read_fixture("introspection_query.graphql");
  ASSERT_FALSE(q.empty());
  auto r = run(*s, q);
  ASSERT_FALSE(r.contains("errors")) << r["errors"].dump();
  const json& sc = r["data"]["__schema"];
  EXPECT_EQ(sc["queryType"]["name"], "Query");
  EXPECT_EQ(sc["mutationType"]["name"], "Mutation");
  EXPECT_EQ(sc["subscriptionType"]["name"], "Subscription");
  bool saw_dog = false, saw_json = false, saw_type_kind = false;
  for (const auto& t : sc["types"]) {
    if (t["name"] == "Dog") {
      saw_dog = true;
      EXPECT_EQ(t["kind"], "OBJECT");
      EXPECT_EQ(t["interfaces"][0]["name"], "Pet");
      for (const auto& f : t["fields"])
        if (f["name"] == "doesKnowCommand") {
          EXPECT_EQ(f["type"]["kind"], "NON_NULL");
          EXPECT_EQ(f["type"]["ofType"]["name"], "Boolean");
          EXPECT_EQ(f["args"][0]["type"]["ofType"]["name"], "DogCommand");
        }
    }
    if (t["name"] == "JSON") {
      saw_json = true;
      EXPECT_EQ(t["specifiedByURL"], "https://www.rfc-editor.org/rfc/rfc8259");
    }
    if (t["name"] == "__TypeKind")
      saw_type_kind = true;
    if (t["name"] == "Query") // the standard query asks for deprecated ones
      for (const auto& f : t["fields"])
        if (f["name"] == "oldField")
          EXPECT_EQ(f["isDeprecated"], true);
  }
  EXPECT_TRUE(saw_dog && saw_json && saw_type_kind);
  bool saw_deprecated = false;
  for (const auto& dir : sc["directives"]) {
    EXPECT_TRUE(dir["isRepeatable"].is_boolean());
    if (dir["name"] == "deprecated") {
      saw_deprecated = true;
      EXPECT_EQ(dir["args"][0]["defaultValue"], "\"No longer supported\"");
    }
  }
  EXPECT_TRUE(saw_deprecated);
}

TEST(GraphqlIntrospection, TypeAndDeprecated) {
  auto s = make_spec_schema();
  auto r = run(*s, R"({ __type(name: "Query") {
      name kind fields(includeDeprecated: true) { name isDeprecated
        deprecationReason } }
    missing: __type(name: "Nope") { name }
    __typename })");
  EXPECT_TRUE(r["data"]["missing"].is_null());
  EXPECT_EQ(r["data"]["__typename"], "Query");
  bool saw = false;
  for (const auto& f : r["data"]["__type"]["fields"])
    if (f["name"] == "oldField") {
      saw = true;
      EXPECT_EQ(f["isDeprecated"], true);
      EXPECT_EQ(f["deprecationReason"], "use dog");
    }
  EXPECT_TRUE(saw);
  document d = must_parse("{ __schema { queryType { name } } }");
  execute_options o;
  o.introspection = false;
  auto off = execute_sync(*s, d, o);
  EXPECT_TRUE(off["data"].is_null());
  EXPECT_EQ(off["errors"][0]["message"],
            "GraphQL introspection is not allowed.");
}

} // namespace
} // namespace themis::graphql

namespace themis::graphql {
namespace {
TEST(GraphqlExecutor, ResponseOrderedFollowsSelectionSet) {
  auto s = test::make_spec_schema();
  document d =
    test::must_parse("{ dog { nickname name __typename barkVolume } }");
  execute_options o;
  o.root_value = {{"dog", {{"name", "R"}, {"barkVolume", 1}}}};
  executor e(*s, d, o);
  e.start();
  ASSERT_TRUE(e.done());
  EXPECT_EQ(
    e.response_ordered().dump(),
    R"({"data":{"dog":{"nickname":null,"name":"R","__typename":"Dog","barkVolume":1}}})");
}
} // namespace
} // namespace themis::graphql
