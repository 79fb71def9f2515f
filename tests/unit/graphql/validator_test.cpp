/// Each section-5 rule with a valid and an invalid example (mostly the
/// spec's own), plus the limits.

#include <gtest/gtest.h>

#include "engine/graphql/validator.hpp"
#include "test_schema.hpp"

namespace themis::graphql {
namespace {

class GraphqlValidator : public ::testing::Test {
protected:
  std::unique_ptr<schema> s_ = test::make_spec_schema();

  std::vector<error> errs(std::string_view q, validate_limits l = {}) {
    auto r = parse(q);
    EXPECT_TRUE(r.ok()) << (r.err ? r.err->message : "") << q;
    if (!r.ok())
      return {};
    return validate(*s_, *r.doc, l);
  }
  void valid(std::string_view q) {
    auto e = errs(q);
    EXPECT_TRUE(e.empty()) << q << "\n -> " << (e.empty() ? "" : e[0].message);
  }
  /// The first error's message contains `msg`.
  error invalid(std::string_view q, std::string_view msg) {
    auto e = errs(q);
    EXPECT_FALSE(e.empty()) << q;
    if (e.empty())
      return {};
    bool found = false;
    for (const auto& x : e)
      found |= x.message.find(msg) != std::string::npos;
    EXPECT_TRUE(found) << q << "\n got: " << e[0].message;
    return e[0];
  }
};

TEST_F(GraphqlValidator, ExecutableDefinitions) {
  auto e = invalid("query { dog { name } } type Cow { name: String }",
                   "The \"Cow\" definition is not executable.");
  EXPECT_EQ(e.locations[0], (location{1, 24}));
  EXPECT_EQ(e.code, codes::validation);
  invalid("{ dog { name } } schema { query: Query }",
          "The schema definition is not executable.");
}

TEST_F(GraphqlValidator, OperationNameUniqueness) {
  valid("query getDogName { dog { name } } query getOwnerName { dog { owner { "
        "name } } }");
  auto e = invalid("query getName { dog { name } } query getName { dog { owner "
                   "{ name } } }",
                   "There can be only one operation named \"getName\".");
  EXPECT_EQ(e.locations.size(), 2u);
  invalid("query dogOperation { dog { name } } mutation dogOperation { "
          "mutateDog { name } }",
          "There can be only one operation named");
}

TEST_F(GraphqlValidator, LoneAnonymousOperation) {
  valid("{ dog { name } }");
  invalid("{ dog { name } } query getName { dog { owner { name } } }",
          "This anonymous operation must be the only defined operation.");
}

TEST_F(GraphqlValidator, SingleRootFieldSubscriptions) {
  valid("subscription sub { newMessage { body sender } }");
  valid("subscription sub { ...newMessageFields } fragment newMessageFields "
        "on Subscription { newMessage { body sender } }");
  invalid("subscription sub { newMessage { body } disallowedSecondRootField }",
          "Subscription \"sub\" must select only one top level field.");
  invalid("subscription sub { ...f } fragment f on Subscription { newMessage "
          "{ body } disallowedSecondRootField }",
          "must select only one top level field");
  invalid("subscription { newMessage { body } __typename }",
          "Anonymous Subscription must select only one top level field.");
  invalid("subscription sub { __typename }",
          "must not select an introspection top level field");
}

TEST_F(GraphqlValidator, FieldSelections) {
  valid("{ dog { name ... on Dog { barkVolume } } pet { name __typename } }");
  auto e = invalid("{ dog { meowVolume } }",
                   "Cannot query field \"meowVolume\" on type \"Dog\".");
  EXPECT_EQ(e.locations[0], (location{1, 9}));
  invalid("{ pet { nickname } }",
          "Cannot query field \"nickname\" on type \"Pet\".");
  valid("{ catOrDog { __typename ... on Dog { name } } }");
  invalid("{ catOrDog { name } }",
          "Cannot query field \"name\" on type \"CatOrDog\".");
}

TEST_F(GraphqlValidator, FieldSelectionMerging) {
  valid("{ dog { name name } }");
  valid("{ dog { name otherName: name } }");
  valid("{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: "
        "SIT) } }");
  valid("{ pet { ... on Dog { volume: barkVolume } ... on Cat { volume: "
        "meowVolume } } }");
  invalid("{ dog { name: nickname name } }",
          "Fields \"name\" conflict because \"nickname\" and \"name\" are "
          "different fields. Use different aliases on the fields to fetch "
          "both if this was intentional.");
  invalid(
    "{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: "
    "HEEL) } }",
    "they have differing arguments");
  invalid("query($c: DogCommand!) { dog { doesKnowCommand(dogCommand: SIT) "
          "doesKnowCommand(dogCommand: $c) } }",
          "they have differing arguments");
  invalid("{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand } }",
          "they have differing arguments");
  // SameResponseShape across exclusive parents
  invalid("{ pet { ... on Dog { someValue: nickname } ... on Cat { someValue: "
          "meowVolume } } }",
          "they return conflicting types \"String\" and \"Int\"");
  // nested conflict through subfields
  invalid("{ dog { owner { x: name } owner { x: pets { name } } } }",
          "subfields \"x\" conflict because");
  // through a fragment
  invalid("{ dog { name ...F } } fragment F on Dog { name: nickname }",
          "Fields \"name\" conflict");
}

TEST_F(GraphqlValidator, FieldMergingWorkIsBounded) {
  std::string q = "{ dog {";
  for (int i = 0; i < 2000; ++i)
    q += " name";
  q += " } }";
  validate_limits l;
  l.max_merge_comparisons = 10000;
  auto e = errs(q, l);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, codes::limit);
  // fragment fan-out: each level spreads the next twice (2^30 expansions)
  std::string doc = "{ dog { ...F0 } }";
  for (int i = 0; i < 30; ++i)
    doc += " fragment F" + std::to_string(i) + " on Dog { name ...F" +
           std::to_string(i + 1) + " ... on Dog { ...F" +
           std::to_string(i + 1) + " } }";
  doc += " fragment F30 on Dog { name }";
  l.max_merge_comparisons = 100000;
  auto e2 = errs(doc, l); // must terminate; valid or a limit error
  for (const auto& x : e2)
    EXPECT_EQ(x.code, codes::limit) << x.message;
}

TEST_F(GraphqlValidator, LeafFieldSelections) {
  valid("{ dog { barkVolume } }");
  invalid("{ dog { barkVolume { sinceWhen } } }",
          "Field \"barkVolume\" must not have a selection since type \"Int\" "
          "has no subfields.");
  invalid("{ human }",
          "Field \"human\" of type \"Human\" must have a selection "
          "of subfields. Did you mean \"human { ... }\"?");
  invalid("{ pet }", "must have a selection of subfields");
  invalid("{ catOrDog }", "must have a selection of subfields");
}

TEST_F(GraphqlValidator, Arguments) {
  valid("{ dog { doesKnowCommand(dogCommand: SIT) } }");
  invalid("{ dog { doesKnowCommand(command: CLEAN_UP_HOUSE, dogCommand: SIT) } "
          "}",
          "Unknown argument \"command\" on field \"Dog.doesKnowCommand\".");
  invalid("{ dog { isHouseTrained(atOtherHomes: true) @include(unless: false) "
          "} }",
          "Unknown argument \"unless\" on directive \"@include\".");
  valid("{ arguments { multipleRequirements(x: 1, y: 2) } }");
  valid("{ arguments { multipleRequirements(y: 2, x: 1) } }");
  invalid("{ arguments { multipleRequirements(x: 1, x: 2, y: 3) } }",
          "There can be only one argument named \"x\".");
  valid("{ arguments { booleanArgField } }");
  valid("{ arguments { optionalNonNullBooleanArgField } }");
  invalid("{ arguments { nonNullBooleanArgField } }",
          "Field \"nonNullBooleanArgField\" argument \"nonNullBooleanArg\" of "
          "type \"Boolean!\" is required, but it was not provided.");
  invalid("{ arguments { nonNullBooleanArgField(nonNullBooleanArg: null) } }",
          "Expected value of type \"Boolean!\", found null.");
  invalid("{ dog { name @include } }",
          "Directive \"@include\" argument \"if\" of type \"Boolean!\" is "
          "required, but it was not provided.");
}

TEST_F(GraphqlValidator, Fragments) {
  valid("{ dog { ...fragmentOne } } fragment fragmentOne on Dog { name }");
  invalid("{ dog { ...fragmentOne } } fragment fragmentOne on Dog { name } "
          "fragment fragmentOne on Dog { owner { name } }",
          "There can be only one fragment named \"fragmentOne\".");
  invalid("{ dog { ...F } } fragment F on NotInSchema { name }",
          "Unknown type \"NotInSchema\".");
  invalid("{ dog { ... on NotInSchema { name } } }",
          "Unknown type \"NotInSchema\".");
  valid("{ dog { ... { name } } }");
  invalid("{ dog { ...F } } fragment F on Int { something }",
          "Fragment \"F\" cannot condition on non composite type \"Int\".");
  invalid("{ dog { ... on Boolean { somethingElse } } }",
          "Fragment cannot condition on non composite type \"Boolean\".");
  invalid("fragment nameFragment on Dog { name } { dog { name } }",
          "Fragment \"nameFragment\" is never used.");
  invalid("{ dog { ...undefinedFragment } }",
          "Unknown fragment \"undefinedFragment\".");
  invalid("{ dog { ...nameFragment } } fragment nameFragment on Dog { name "
          "...barkVolumeFragment } fragment barkVolumeFragment on Dog { "
          "barkVolume ...nameFragment }",
          "Cannot spread fragment \"nameFragment\" within itself via "
          "\"barkVolumeFragment\".");
  invalid("{ dog { ...F } } fragment F on Dog { name ...F }",
          "Cannot spread fragment \"F\" within itself.");
  // a 200-long chain is refused before anything recurses over it
  std::string chain = "{ dog { ...F0 } }";
  for (int i = 0; i < 200; ++i)
    chain += " fragment F" + std::to_string(i) + " on Dog { ...F" +
             std::to_string(i + 1) + " }";
  chain += " fragment F200 on Dog { name }";
  invalid(chain, "Fragment spreads are nested more than");
}

TEST_F(GraphqlValidator, FragmentSpreadIsPossible) {
  valid("{ dog { ...dogFragment } } fragment dogFragment on Dog { ... on Dog "
        "{ barkVolume } }");
  invalid("{ dog { ... on Cat { meowVolume } } }",
          "Fragment cannot be spread here as objects of type \"Dog\" can "
          "never be of type \"Cat\".");
  invalid("{ dog { ...catF } } fragment catF on Cat { meowVolume }",
          "Fragment \"catF\" cannot be spread here as objects of type \"Dog\" "
          "can never be of type \"Cat\".");
  valid("{ pet { ... on Dog { barkVolume } } }");
  valid("{ catOrDog { ... on Pet { name } } }");
  invalid("{ pet { ... on HumanOrAlien { __typename } } }",
          "can never be of type \"HumanOrAlien\"");
  // CatOrDog and DogOrHuman share Dog: abstract in abstract scope (5.5.2.3.4)
  valid("{ catOrDog { ... on DogOrHuman { __typename } } }");
  invalid("{ catOrDog { ... on HumanOrAlien { __typename } } }",
          "can never be of type \"HumanOrAlien\"");
  valid("{ human { ... on DogOrHuman { __typename } } }");
  invalid("{ human { ... on Sentient { name } ... on Pet { name } } }",
          "can never be of type \"Pet\"");
}

TEST_F(GraphqlValidator, Values) {
  valid("{ arguments { intArgField(intArg: 1) floatArgField(floatArg: 1) } }");
  valid("{ findDog(searchBy: {name: \"Fido\"}) { name } }");
  invalid("{ arguments { floatArgField(floatArg: \"123\") } }",
          "Float cannot represent non numeric value: \"123\"");
  invalid("{ arguments { intArgField(intArg: 4000000000) } }",
          "Int cannot represent non 32-bit signed integer value");
  invalid("{ dog { doesKnowCommand(dogCommand: JUMP) } }",
          "Value \"JUMP\" does not exist in \"DogCommand\" enum.");
  invalid("{ dog { doesKnowCommand(dogCommand: \"SIT\") } }",
          "Enum \"DogCommand\" cannot represent non-enum value: \"SIT\"");
  invalid("{ findDog(searchBy: {favoriteCookieFlavor: \"Bacon\"}) { name } }",
          "Field \"favoriteCookieFlavor\" is not defined by type "
          "\"FindDogInput\".");
  invalid("{ findDog(searchBy: {name: \"a\", name: \"b\"}) { name } }",
          "There can be only one input field named \"name\".");
  valid("{ arguments { booleanListArgField(booleanListArg: true) } }");
  invalid("{ arguments { booleanListArgField(booleanListArg: [1]) } }",
          "Boolean cannot represent a non boolean value: 1");
}

TEST_F(GraphqlValidator, Directives) {
  valid("{ dog { name @skip(if: true) nickname @include(if: false) } }");
  invalid("{ dog { name @unknown } }", "Unknown directive \"@unknown\".");
  invalid("query @skip(if: true) { dog { name } }",
          "Directive \"@skip\" may not be used on QUERY.");
  invalid("{ dog { name @deprecated } }",
          "Directive \"@deprecated\" may not be used on FIELD.");
  invalid("{ dog { name @skip(if: true) @skip(if: false) } }",
          "The directive \"@skip\" can only be used once at this location.");
  valid("{ dog { name @skip(if: true) ... @skip(if: false) { name } } }");
}

TEST_F(GraphqlValidator, Variables) {
  valid("query A($atOtherHomes: Boolean) { dog { isHouseTrained(atOtherHomes: "
        "$atOtherHomes) } }");
  invalid("query houseTrainedQuery($atOtherHomes: Boolean, $atOtherHomes: "
          "Boolean) { dog { isHouseTrained(atOtherHomes: $atOtherHomes) } }",
          "There can be only one variable named \"$atOtherHomes\".");
  invalid("query takesCat($cat: Cat) { dog { name } }",
          "Variable \"$cat\" cannot be non-input type \"Cat\".");
  invalid("query takesDogBang($dog: [Dog!]) { dog { name } }",
          "Variable \"$dog\" cannot be non-input type \"[Dog!]\".");
  invalid("query q($x: Nope) { dog { name } }", "Unknown type \"Nope\".");
  invalid("query variableIsNotDefined { dog { isHouseTrained(atOtherHomes: "
          "$atOtherHomes) } }",
          "Variable \"$atOtherHomes\" is not defined by operation "
          "\"variableIsNotDefined\".");
  invalid("query A { dog { ...F } } fragment F on Dog { "
          "isHouseTrained(atOtherHomes: $x) }",
          "Variable \"$x\" is not defined by operation \"A\".");
  invalid("query variableUnused($atOtherHomes: Boolean) { dog { "
          "isHouseTrained } }",
          "Variable \"$atOtherHomes\" is never used in operation "
          "\"variableUnused\".");
  valid("query A($x: Boolean) { dog { ...F } } fragment F on Dog { "
        "isHouseTrained(atOtherHomes: $x) }");
  invalid("query q($x: Int) { dog { isHouseTrained(atOtherHomes: $x) } }",
          "Variable \"$x\" of type \"Int\" used in position expecting type "
          "\"Boolean\".");
  invalid("query q($b: Boolean) { arguments { nonNullBooleanArgField("
          "nonNullBooleanArg: $b) } }",
          "Variable \"$b\" of type \"Boolean\" used in position expecting "
          "type \"Boolean!\".");
  valid("query q($b: Boolean!) { arguments { nonNullBooleanArgField("
        "nonNullBooleanArg: $b) } }");
  // the default-value exceptions
  valid("query q($b: Boolean = true) { arguments { nonNullBooleanArgField("
        "nonNullBooleanArg: $b) } }");
  valid("query q($b: Boolean) { arguments { optionalNonNullBooleanArgField("
        "optionalBooleanArg: $b) } }");
  invalid("query q($b: Boolean = null) { arguments { nonNullBooleanArgField("
          "nonNullBooleanArg: $b) } }",
          "used in position expecting type \"Boolean!\"");
  valid("query q($b: Boolean!) { arguments { booleanListArgField("
        "booleanListArg: [$b]) } }");
  invalid("query q($l: [Boolean]) { arguments { nonNullBooleanListField("
          "nonNullBooleanListArg: $l) } }",
          "of type \"[Boolean]\" used in position expecting type "
          "\"[Boolean!]\"");
  invalid("query q($x: String) { findDog(searchBy: {name: 1}) { name } }",
          "never used");
  invalid("query q($x: Int = \"no\") { arguments { intArgField(intArg: $x) } "
          "}",
          "Int cannot represent non-integer value: \"no\"");
}

TEST_F(GraphqlValidator, RootTypesAndIntrospectionSwitch) {
  valid("mutation { mutateDog { name } }");
  valid("{ __schema { types { name } } __type(name: \"Dog\") { name } }");
  invalid("{ dog { __schema { types { name } } } }",
          "Cannot query field \"__schema\" on type \"Dog\".");
  validate_limits l;
  l.introspection = false;
  auto e = errs("{ dog { name } a: __schema { queryType { name } } }", l);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "GraphQL introspection is not allowed.");
  EXPECT_TRUE(errs("{ dog { __typename } }", l).empty());
}

TEST_F(GraphqlValidator, DepthAliasComplexityLimits) {
  validate_limits l;
  l.max_depth = 3;
  EXPECT_TRUE(errs("{ dog { owner { name } } }", l).empty());
  auto e = errs("{ dog { owner { pets { name } } } }", l);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, codes::limit);
  EXPECT_EQ(e[0].message, "Query depth 4 exceeds the maximum of 3.");
  // depth counts through fragments
  EXPECT_EQ(errs("{ dog { ...F } } fragment F on Dog { owner { pets { name } } "
                 "}",
                 l)
              .size(),
            1u);
  l = {};
  l.max_aliases = 2;
  EXPECT_TRUE(errs("{ a: dog { name } b: dog { name } }", l).empty());
  e = errs("{ a: dog { n: name } b: dog { name } }", l);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].message.find("3 aliases"), std::string::npos);
  l = {};
  l.max_complexity = 50;
  l.default_list_size = 10;
  // dogs (cost 1) + 10 x (name + owner(1 + name)) = 1 + 10 * 3 = 31
  auto doc = parse("{ dogs { name owner { name } } }");
  EXPECT_EQ(operation_complexity(*s_, *doc.doc, doc.doc->operations[0], l),
            31u);
  EXPECT_TRUE(errs("{ dogs { name owner { name } } }", l).empty());
  e = errs("{ dogs(first: 100) { name owner { name } } }", l);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "Query complexity 301 exceeds the maximum of 50.");
  // list sizes from variables count at their value
  auto d2 = parse("query($n: Int) { dogs(first: $n) { name } }");
  nlohmann::json vars = {{"n", 1000}};
  EXPECT_EQ(validate(*s_, *d2.doc, l, &vars).size(), 1u);
  vars = {{"n", 2}};
  EXPECT_TRUE(validate(*s_, *d2.doc, l, &vars).empty());
  // the standard introspection query fits the default limits
  EXPECT_TRUE(errs("{ __schema { types { fields { args { type { ofType { "
                   "ofType { name } } } } } } } }")
                .empty());
  // ofType chains add no depth: getIntrospectionQuery's TypeRef nests 8
  l = {};
  l.max_depth = 6;
  EXPECT_TRUE(errs("{ __schema { types { fields { type { ofType { ofType { "
                   "ofType { ofType { ofType { name } } } } } } } } } }",
                   l)
                .empty());
  // fields of a field's type's fields…: refused at 3 nested __Type lists,
  // also when the __schema hides in a fragment
  e = errs("{ __schema { types { fields { type { fields { type { interfaces "
           "{ name } } } } } } } }");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "Maximum introspection depth exceeded");
  EXPECT_EQ(e[0].locations[0], (location{1, 3})); // at __schema
  EXPECT_EQ(errs("{ ...S } fragment S on Query { __schema { types { fields { "
                 "type { possibleTypes { fields { name } } } } } } }")
              .size(),
            1u);
  EXPECT_TRUE(errs("{ __schema { types { fields { type { fields { name } } } "
                   "} } }")
                .empty());
}

} // namespace
} // namespace themis::graphql
