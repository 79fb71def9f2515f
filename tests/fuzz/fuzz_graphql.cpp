/// libFuzzer target for the GraphQL core (issue 21): the input is a
/// document's text. Parse (default limits) -> validate (the server's
/// default limits) -> execute with the default resolvers over a fixed root
/// value, against a small schema with an interface, a union, an enum, a
/// recursive input object and a custom scalar. Invariants: no crash, no
/// unbounded recursion (deep nesting and huge inputs are errors), every
/// error has a message, an executed document answers an object.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "engine/graphql/executor.hpp"
#include "engine/graphql/parser.hpp"
#include "engine/graphql/schema.hpp"
#include "engine/graphql/validator.hpp"

namespace {

namespace gq = themis::graphql;
using nlohmann::json;

gq::type_ref named(const char* n) {
  return gq::type_ref::named_type(n);
}
gq::type_ref nn(gq::type_ref t) {
  return gq::type_ref::non_null_of(std::move(t));
}
gq::type_ref list(gq::type_ref t) {
  return gq::type_ref::list_of(std::move(t));
}

gq::field_def field(const char* n, gq::type_ref t,
                    std::vector<gq::input_value_def> args = {}) {
  gq::field_def f;
  f.name = n;
  f.type = std::move(t);
  f.args = std::move(args);
  return f;
}

gq::input_value_def arg(const char* n, gq::type_ref t) {
  gq::input_value_def a;
  a.name = n;
  a.type = std::move(t);
  return a;
}

gq::type_def type(gq::type_kind k, const char* n) {
  gq::type_def t;
  t.kind = k;
  t.name = n;
  return t;
}

std::unique_ptr<gq::schema> make_schema() {
  auto s = std::make_unique<gq::schema>();
  auto color = type(gq::type_kind::enum_, "Color");
  color.enum_values = {{"RED", {}, {}}, {"GREEN", {}, {}}};
  s->add_type(color);
  auto js = type(gq::type_kind::scalar, "JSON");
  s->add_type(js);
  auto filter = type(gq::type_kind::input_object, "Filter");
  filter.input_fields = {
    arg("name", named("String")), arg("n", nn(named("Int"))),
    arg("color", named("Color")), arg("any", list(nn(named("Filter"))))};
  s->add_type(filter);
  auto pet = type(gq::type_kind::interface, "Pet");
  pet.fields = {field("name", nn(named("String")))};
  s->add_type(pet);
  auto dog = type(gq::type_kind::object, "Dog");
  dog.interfaces = {"Pet"};
  dog.fields = {
    field("name", nn(named("String"))), field("barks", named("Boolean")),
    field("color", named("Color")),
    field("friends", list(named("Dog")), {arg("first", named("Int"))}),
    field("tags", list(list(named("String"))))};
  s->add_type(dog);
  auto cat = type(gq::type_kind::object, "Cat");
  cat.interfaces = {"Pet"};
  cat.fields = {field("name", nn(named("String"))),
                field("lives", named("Int"))};
  s->add_type(cat);
  auto any = type(gq::type_kind::union_, "Any");
  any.members = {"Dog", "Cat"};
  s->add_type(any);
  auto q = type(gq::type_kind::object, "Query");
  q.fields = {
    field("dog", named("Dog"), {arg("name", named("ID"))}),
    field("pets", nn(list(nn(named("Pet")))), {arg("f", named("Filter"))}),
    field("any", list(named("Any"))),
    field("json", named("JSON"), {arg("v", named("JSON"))}),
    field("n", named("Float"), {arg("x", nn(named("Int")))})};
  s->add_type(q);
  auto m = type(gq::type_kind::object, "Mutation");
  m.fields = {
    field("setName", named("String"), {arg("name", nn(named("String")))})};
  s->add_type(m);
  s->set_mutation_type("Mutation");
  return s;
}

json root_value() {
  json rex = {{"__typename", "Dog"},
              {"name", "Rex"},
              {"barks", true},
              {"color", "RED"},
              {"tags", {{"a", "b"}, {}}}};
  json fido = rex;
  fido["name"] = "Fido";
  fido["friends"] = {rex, nullptr, rex};
  rex["friends"] = {fido};
  json cat = {{"__typename", "Cat"}, {"name", "Tom"}, {"lives", 9}};
  return {{"dog", rex},
          {"pets", {fido, cat, rex}},
          {"any", {cat, fido, nullptr}},
          {"json", {{"k", {1, 2, "x"}}}},
          {"n", 1.5},
          {"setName", "ok"}};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto schema = make_schema();
  static const json root = root_value();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = gq::parse(text);
  if (!parsed.ok()) {
    if (!parsed.err || parsed.err->message.empty())
      std::abort();
    return 0;
  }
  auto errors = gq::validate(*schema, *parsed.doc);
  for (const auto& e : errors)
    if (e.message.empty())
      std::abort();
  if (!errors.empty())
    return 0;
  gq::execute_options opts;
  opts.root_value = root;
  if (parsed.doc->operations.size() > 1)
    opts.operation_name = parsed.doc->operations.front().name;
  json r = gq::execute_sync(*schema, *parsed.doc, std::move(opts));
  if (!r.is_object() || (!r.contains("data") && !r.contains("errors")))
    std::abort();
  (void)r.dump();
  return 0;
}
