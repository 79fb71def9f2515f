#include "test_schema.hpp"

#include <gtest/gtest.h>

namespace themis::graphql::test {

namespace {

type_ref named(const char* n) {
  return type_ref::named_type(n);
}
type_ref nn(type_ref t) {
  return type_ref::non_null_of(std::move(t));
}
type_ref list(type_ref t) {
  return type_ref::list_of(std::move(t));
}

field_def f(const char* name, type_ref t,
            std::vector<input_value_def> args = {}) {
  field_def d;
  d.name = name;
  d.type = std::move(t);
  d.args = std::move(args);
  return d;
}

input_value_def a(const char* name, type_ref t,
                  std::optional<nlohmann::json> def = std::nullopt) {
  input_value_def d;
  d.name = name;
  d.type = std::move(t);
  d.default_value = std::move(def);
  return d;
}

type_def obj(const char* name, std::vector<field_def> fields,
             std::vector<std::string> ifaces = {}) {
  type_def t;
  t.kind = type_kind::object;
  t.name = name;
  t.fields = std::move(fields);
  t.interfaces = std::move(ifaces);
  return t;
}

} // namespace

std::unique_ptr<schema> make_spec_schema() {
  auto s = std::make_unique<schema>();
  type_def dog_command;
  dog_command.kind = type_kind::enum_;
  dog_command.name = "DogCommand";
  dog_command.enum_values = {
    {"SIT", {}, {}}, {"DOWN", {}, {}}, {"HEEL", {}, {}}};
  s->add_type(dog_command);
  type_def cat_command;
  cat_command.kind = type_kind::enum_;
  cat_command.name = "CatCommand";
  cat_command.enum_values = {{"JUMP", {}, {}}};
  s->add_type(cat_command);

  type_def sentient;
  sentient.kind = type_kind::interface;
  sentient.name = "Sentient";
  sentient.fields = {f("name", nn(named("String")))};
  s->add_type(sentient);
  type_def pet;
  pet.kind = type_kind::interface;
  pet.name = "Pet";
  pet.fields = {f("name", nn(named("String")))};
  s->add_type(pet);

  type_def dog =
    obj("Dog",
        {f("name", nn(named("String"))), f("nickname", named("String")),
         f("barkVolume", named("Int")),
         f("doesKnowCommand", nn(named("Boolean")),
           {a("dogCommand", nn(named("DogCommand")))}),
         f("isHouseTrained", nn(named("Boolean")),
           {a("atOtherHomes", named("Boolean"))}),
         f("owner", named("Human"))},
        {"Pet"});
  dog.fields.back().cost = 1;
  s->add_type(dog);
  s->add_type(obj(
    "Alien", {f("name", nn(named("String"))), f("homePlanet", named("String"))},
    {"Sentient"}));
  s->add_type(
    obj("Human",
        {f("name", nn(named("String"))), f("pets", nn(list(nn(named("Pet")))))},
        {"Sentient"}));
  s->add_type(
    obj("Cat",
        {f("name", nn(named("String"))), f("nickname", named("String")),
         f("doesKnowCommand", nn(named("Boolean")),
           {a("catCommand", nn(named("CatCommand")))}),
         f("meowVolume", named("Int"))},
        {"Pet"}));
  type_def cat_or_dog;
  cat_or_dog.kind = type_kind::union_;
  cat_or_dog.name = "CatOrDog";
  cat_or_dog.members = {"Cat", "Dog"};
  s->add_type(cat_or_dog);
  type_def dog_or_human;
  dog_or_human.kind = type_kind::union_;
  dog_or_human.name = "DogOrHuman";
  dog_or_human.members = {"Dog", "Human"};
  s->add_type(dog_or_human);
  type_def human_or_alien;
  human_or_alien.kind = type_kind::union_;
  human_or_alien.name = "HumanOrAlien";
  human_or_alien.members = {"Human", "Alien"};
  s->add_type(human_or_alien);

  type_def find_dog;
  find_dog.kind = type_kind::input_object;
  find_dog.name = "FindDogInput";
  find_dog.input_fields = {a("name", named("String")),
                           a("owner", named("String"))};
  s->add_type(find_dog);

  type_def json_scalar;
  json_scalar.kind = type_kind::scalar;
  json_scalar.name = "JSON";
  json_scalar.specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259";
  s->add_type(json_scalar);

  type_def arguments =
    obj("Arguments",
        {f("multipleRequirements", nn(named("Int")),
           {a("x", nn(named("Int"))), a("y", nn(named("Int")))}),
         f("booleanArgField", named("Boolean"),
           {a("booleanArg", named("Boolean"))}),
         f("floatArgField", named("Float"), {a("floatArg", named("Float"))}),
         f("intArgField", named("Int"), {a("intArg", named("Int"))}),
         f("nonNullBooleanArgField", nn(named("Boolean")),
           {a("nonNullBooleanArg", nn(named("Boolean")))}),
         f("booleanListArgField", list(named("Boolean")),
           {a("booleanListArg", nn(list(named("Boolean"))))}),
         f("optionalNonNullBooleanArgField", nn(named("Boolean")),
           {a("optionalBooleanArg", nn(named("Boolean")), false)}),
         f("nonNullBooleanListField", list(named("Boolean")),
           {a("nonNullBooleanListArg", list(nn(named("Boolean"))))})});
  s->add_type(arguments);

  field_def dogs = f("dogs", nn(list(nn(named("Dog")))),
                     {a("first", named("Int")), a("after", named("String"))});
  field_def old = f("oldField", named("String"));
  old.deprecation_reason = "use dog";
  s->add_type(
    obj("Query",
        {f("dog", named("Dog")),
         f("findDog", named("Dog"), {a("searchBy", named("FindDogInput"))}),
         dogs, f("pet", named("Pet")), f("catOrDog", named("CatOrDog")),
         f("human", named("Human")), f("arguments", named("Arguments")),
         f("json", named("JSON"), {a("value", named("JSON"))}), old}));
  s->add_type(obj("Mutation", {f("mutateDog", named("Dog")),
                               f("setName", named("String"),
                                 {a("name", nn(named("String")))})}));
  s->add_type(
    obj("Subscription", {f("newMessage", named("Message")),
                         f("disallowedSecondRootField", named("Boolean"))}));
  s->add_type(
    obj("Message", {f("body", named("String")), f("sender", named("String"))}));
  s->set_mutation_type("Mutation");
  s->set_subscription_type("Subscription");
  return s;
}

document must_parse(std::string_view q) {
  auto r = parse(q);
  if (!r.ok()) {
    ADD_FAILURE() << "parse failed: " << r.err->message << " in " << q;
    return {};
  }
  return std::move(*r.doc);
}

} // namespace themis::graphql::test
