#include "engine/graphql/introspection.hpp"

#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {

using json = nlohmann::json;

type_ref named(const char* n) {
  return type_ref::named_type(n);
}
type_ref nn(type_ref t) {
  return type_ref::non_null_of(std::move(t));
}
type_ref list(type_ref t) {
  return type_ref::list_of(std::move(t));
}
type_ref nn_list_nn(const char* n) {
  return nn(list(nn(named(n))));
}

json opt_str(const std::string& s) {
  return s.empty() ? json() : json(s);
}
json opt_reason(const std::optional<std::string>& r) {
  return r ? json(*r) : json();
}

field_def fld(const char* name, type_ref t, resolver_fn r = {}) {
  field_def f;
  f.name = name;
  f.type = std::move(t);
  f.resolve = std::move(r);
  return f;
}

input_value_def include_deprecated_arg() {
  input_value_def a;
  a.name = "includeDeprecated";
  a.type = named("Boolean");
  a.default_value = false;
  return a;
}

field_def fld_dep(const char* name, type_ref t, resolver_fn r) {
  field_def f = fld(name, std::move(t), std::move(r));
  f.args.push_back(include_deprecated_arg());
  return f;
}

bool include_deprecated(const resolve_context& c) {
  return c.args.value("includeDeprecated", false);
}

/// The named type behind a __Type value, or null for wrappers.
const type_def* named_of(const resolve_context& c) {
  if (!c.parent.contains("$name"))
    return nullptr;
  return c.sch.find(c.parent["$name"].get<std::string>());
}

json input_value(const schema& s, const input_value_def& a) {
  return {{"name", a.name},
          {"description", opt_str(a.description)},
          {"type", type_value(a.type)},
          {"defaultValue", a.default_value
                             ? json(print_literal(s, *a.default_value, a.type))
                             : json()},
          {"isDeprecated", a.deprecation_reason.has_value()},
          {"deprecationReason", opt_reason(a.deprecation_reason)}};
}

json input_values(const schema& s, const std::vector<input_value_def>& in,
                  bool with_deprecated) {
  json out = json::array();
  for (const auto& a : in)
    if (with_deprecated || !a.deprecation_reason)
      out.push_back(input_value(s, a));
  return out;
}

json type_list(const std::vector<const type_def*>& ts) {
  json out = json::array();
  for (const auto* t : ts)
    out.push_back({{"$name", t->name}});
  return out;
}

type_def make_object(const char* name, std::vector<field_def> fields) {
  type_def t;
  t.kind = type_kind::object;
  t.name = name;
  t.fields = std::move(fields);
  return t;
}

type_def make_enum(const char* name, std::initializer_list<const char*> vals) {
  type_def t;
  t.kind = type_kind::enum_;
  t.name = name;
  for (const char* v : vals)
    t.enum_values.push_back({v, {}, std::nullopt});
  return t;
}

void add_type_type(schema& s) {
  std::vector<field_def> f;
  f.push_back(fld("kind", nn(named("__TypeKind")), [](resolve_context& c) {
    if (const auto* t = named_of(c))
      return field_result::of(to_string(t->kind));
    return field_result::of(c.parent.value("$kind", "LIST"));
  }));
  f.push_back(fld("name", named("String"), [](resolve_context& c) {
    return field_result::of(c.parent.value("$name", json()));
  }));
  f.push_back(fld("description", named("String"), [](resolve_context& c) {
    const auto* t = named_of(c);
    return field_result::of(t ? opt_str(t->description) : json());
  }));
  f.push_back(fld("specifiedByURL", named("String"), [](resolve_context& c) {
    const auto* t = named_of(c);
    return field_result::of(t ? opt_str(t->specified_by_url) : json());
  }));
  f.push_back(
    fld_dep("fields", list(nn(named("__Field"))), [](resolve_context& c) {
      const auto* t = named_of(c);
      if (!t ||
          (t->kind != type_kind::object && t->kind != type_kind::interface))
        return field_result::of(json());
      json out = json::array();
      for (const auto& fd : t->fields)
        if (include_deprecated(c) || !fd.deprecation_reason)
          out.push_back({{"$type", t->name}, {"$field", fd.name}});
      return field_result::of(std::move(out));
    }));
  f.push_back(
    fld("interfaces", list(nn(named("__Type"))), [](resolve_context& c) {
      const auto* t = named_of(c);
      if (!t ||
          (t->kind != type_kind::object && t->kind != type_kind::interface))
        return field_result::of(json());
      json out = json::array();
      for (const auto& i : t->interfaces)
        out.push_back({{"$name", i}});
      return field_result::of(std::move(out));
    }));
  f.push_back(
    fld("possibleTypes", list(nn(named("__Type"))), [](resolve_context& c) {
      const auto* t = named_of(c);
      if (!t || !t->is_abstract())
        return field_result::of(json());
      return field_result::of(type_list(c.sch.possible_types(*t)));
    }));
  f.push_back(fld_dep(
    "enumValues", list(nn(named("__EnumValue"))), [](resolve_context& c) {
      const auto* t = named_of(c);
      if (!t || t->kind != type_kind::enum_)
        return field_result::of(json());
      json out = json::array();
      for (const auto& e : t->enum_values)
        if (include_deprecated(c) || !e.deprecation_reason)
          out.push_back(
            {{"name", e.name},
             {"description", opt_str(e.description)},
             {"isDeprecated", e.deprecation_reason.has_value()},
             {"deprecationReason", opt_reason(e.deprecation_reason)}});
      return field_result::of(std::move(out));
    }));
  f.push_back(fld_dep(
    "inputFields", list(nn(named("__InputValue"))), [](resolve_context& c) {
      const auto* t = named_of(c);
      if (!t || t->kind != type_kind::input_object)
        return field_result::of(json());
      return field_result::of(
        input_values(c.sch, t->input_fields, include_deprecated(c)));
    }));
  f.push_back(fld("ofType", named("__Type"), [](resolve_context& c) {
    return field_result::of(c.parent.value("$of", json()));
  }));
  s.add_type(make_object("__Type", std::move(f)));
}

void add_field_type(schema& s) {
  auto lookup = [](const resolve_context& c) -> const field_def* {
    const auto* t = c.sch.find(c.parent.value("$type", std::string()));
    return t ? t->field(c.parent.value("$field", std::string())) : nullptr;
  };
  std::vector<field_def> f;
  f.push_back(fld("name", nn(named("String")), [](resolve_context& c) {
    return field_result::of(c.parent.value("$field", std::string()));
  }));
  f.push_back(fld("description", named("String"), [lookup](resolve_context& c) {
    const auto* fd = lookup(c);
    return field_result::of(fd ? opt_str(fd->description) : json());
  }));
  f.push_back(
    fld_dep("args", nn_list_nn("__InputValue"), [lookup](resolve_context& c) {
      const auto* fd = lookup(c);
      if (!fd)
        return field_result::of(json::array());
      return field_result::of(
        input_values(c.sch, fd->args, include_deprecated(c)));
    }));
  f.push_back(fld("type", nn(named("__Type")), [lookup](resolve_context& c) {
    const auto* fd = lookup(c);
    return fd ? field_result::of(type_value(fd->type))
              : field_result::fail("unknown field");
  }));
  f.push_back(
    fld("isDeprecated", nn(named("Boolean")), [lookup](resolve_context& c) {
      const auto* fd = lookup(c);
      return field_result::of(fd && fd->deprecation_reason.has_value());
    }));
  f.push_back(
    fld("deprecationReason", named("String"), [lookup](resolve_context& c) {
      const auto* fd = lookup(c);
      return field_result::of(fd ? opt_reason(fd->deprecation_reason) : json());
    }));
  s.add_type(make_object("__Field", std::move(f)));
}

void add_schema_type(schema& s) {
  std::vector<field_def> f;
  f.push_back(fld("description", named("String"), [](resolve_context& c) {
    return field_result::of(opt_str(c.sch.description()));
  }));
  f.push_back(fld("types", nn_list_nn("__Type"), [](resolve_context& c) {
    return field_result::of(type_list(c.sch.types()));
  }));
  auto root = [](operation_type op) {
    return [op](resolve_context& c) {
      const auto* t = c.sch.root_type(op);
      return field_result::of(t ? json{{"$name", t->name}} : json());
    };
  };
  f.push_back(
    fld("queryType", nn(named("__Type")), root(operation_type::query)));
  f.push_back(
    fld("mutationType", named("__Type"), root(operation_type::mutation)));
  f.push_back(fld("subscriptionType", named("__Type"),
                  root(operation_type::subscription)));
  f.push_back(
    fld("directives", nn_list_nn("__Directive"), [](resolve_context& c) {
      json out = json::array();
      for (const auto& d : c.sch.directives())
        out.push_back({{"$directive", d.name}});
      return field_result::of(std::move(out));
    }));
  s.add_type(make_object("__Schema", std::move(f)));
}

void add_directive_type(schema& s) {
  auto lookup = [](const resolve_context& c) {
    return c.sch.find_directive(c.parent.value("$directive", std::string()));
  };
  std::vector<field_def> f;
  f.push_back(fld("name", nn(named("String")), [](resolve_context& c) {
    return field_result::of(c.parent.value("$directive", std::string()));
  }));
  f.push_back(fld("description", named("String"), [lookup](resolve_context& c) {
    const auto* d = lookup(c);
    return field_result::of(d ? opt_str(d->description) : json());
  }));
  f.push_back(fld("locations", nn_list_nn("__DirectiveLocation"),
                  [lookup](resolve_context& c) {
                    const auto* d = lookup(c);
                    return field_result::of(d ? json(d->locations)
                                              : json::array());
                  }));
  f.push_back(
    fld_dep("args", nn_list_nn("__InputValue"), [lookup](resolve_context& c) {
      const auto* d = lookup(c);
      if (!d)
        return field_result::of(json::array());
      return field_result::of(
        input_values(c.sch, d->args, include_deprecated(c)));
    }));
  f.push_back(
    fld("isRepeatable", nn(named("Boolean")), [lookup](resolve_context& c) {
      const auto* d = lookup(c);
      return field_result::of(d && d->repeatable);
    }));
  s.add_type(make_object("__Directive", std::move(f)));
}

const field_def& typename_field() {
  static const field_def f =
    fld("__typename", nn(named("String")), [](resolve_context& c) {
      return field_result::of(c.parent_type.name);
    });
  return f;
}

const field_def& schema_field() {
  static const field_def f =
    fld("__schema", nn(named("__Schema")),
        [](resolve_context&) { return field_result::of(json::object()); });
  return f;
}

const field_def& type_field() {
  static const field_def f = [] {
    field_def d = fld("__type", named("__Type"), [](resolve_context& c) {
      std::string n = c.args.value("name", std::string());
      return field_result::of(c.sch.find(n) ? json{{"$name", n}} : json());
    });
    input_value_def a;
    a.name = "name";
    a.type = nn(named("String"));
    d.args.push_back(std::move(a));
    return d;
  }();
  return f;
}

} // namespace

json type_value(const type_ref& t) {
  switch (t.k) {
    case type_ref::kind::named:
      return {{"$name", t.name}};
    case type_ref::kind::list:
      return {{"$kind", "LIST"}, {"$of", type_value(*t.of)}};
    case type_ref::kind::non_null:
      return {{"$kind", "NON_NULL"}, {"$of", type_value(*t.of)}};
  }
  return nullptr;
}

void add_introspection_types(schema& s) {
  add_schema_type(s);
  add_type_type(s);
  add_field_type(s);
  add_directive_type(s);
  s.add_type(make_object(
    "__InputValue",
    {fld("name", nn(named("String"))), fld("description", named("String")),
     fld("type", nn(named("__Type"))), fld("defaultValue", named("String")),
     fld("isDeprecated", nn(named("Boolean"))),
     fld("deprecationReason", named("String"))}));
  s.add_type(
    make_object("__EnumValue", {fld("name", nn(named("String"))),
                                fld("description", named("String")),
                                fld("isDeprecated", nn(named("Boolean"))),
                                fld("deprecationReason", named("String"))}));
  s.add_type(
    make_enum("__TypeKind", {"SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM",
                             "INPUT_OBJECT", "LIST", "NON_NULL"}));
  s.add_type(make_enum(
    "__DirectiveLocation",
    {"QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION",
     "FRAGMENT_SPREAD", "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA",
     "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
     "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION"}));
}

bool is_meta_schema_field(std::string_view name) {
  return name == "__schema" || name == "__type";
}

const field_def* find_field(const schema& s, const type_def& parent,
                            std::string_view name) {
  if (name == "__typename" && parent.is_composite())
    return &typename_field();
  if (const auto* q = s.query_type(); q && q->name == parent.name) {
    if (name == "__schema")
      return &schema_field();
    if (name == "__type")
      return &type_field();
  }
  if (parent.kind == type_kind::object || parent.kind == type_kind::interface)
    return parent.field(name);
  return nullptr;
}

} // namespace themis::graphql
