#include "engine/graphql/schema.hpp"

#include <algorithm>

#include "engine/graphql/introspection.hpp"

namespace themis::graphql {

namespace {

input_value_def arg(std::string name, type_ref t, std::string desc,
                    std::optional<nlohmann::json> def = std::nullopt) {
  input_value_def a;
  a.name = std::move(name);
  a.type = std::move(t);
  a.description = std::move(desc);
  a.default_value = std::move(def);
  return a;
}

type_ref non_null(const char* n) {
  return type_ref::non_null_of(type_ref::named_type(n));
}

void add_scalar(schema& s, const char* name, const char* desc) {
  type_def t;
  t.kind = type_kind::scalar;
  t.name = name;
  t.description = desc;
  s.add_type(std::move(t));
}

bool valid_name(const std::string& n) {
  if (n.empty())
    return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

} // namespace

const char* to_string(type_kind k) {
  switch (k) {
    case type_kind::scalar:
      return "SCALAR";
    case type_kind::object:
      return "OBJECT";
    case type_kind::interface:
      return "INTERFACE";
    case type_kind::union_:
      return "UNION";
    case type_kind::enum_:
      return "ENUM";
    case type_kind::input_object:
      return "INPUT_OBJECT";
  }
  return "SCALAR";
}

bool is_builtin_scalar(std::string_view n) {
  return n == "Int" || n == "Float" || n == "String" || n == "Boolean" ||
         n == "ID";
}

bool is_introspection_type(std::string_view n) {
  return n.size() > 2 && n.substr(0, 2) == "__";
}

const input_value_def* field_def::arg(std::string_view n) const {
  for (const auto& a : args)
    if (a.name == n)
      return &a;
  return nullptr;
}

const input_value_def* directive_def::arg(std::string_view n) const {
  for (const auto& a : args)
    if (a.name == n)
      return &a;
  return nullptr;
}

bool directive_def::allowed_at(std::string_view loc) const {
  return std::find(locations.begin(), locations.end(), loc) != locations.end();
}

const field_def* type_def::field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n)
      return &f;
  return nullptr;
}

const input_value_def* type_def::input_field(std::string_view n) const {
  for (const auto& f : input_fields)
    if (f.name == n)
      return &f;
  return nullptr;
}

const enum_value_def* type_def::enum_value(std::string_view n) const {
  for (const auto& e : enum_values)
    if (e.name == n)
      return &e;
  return nullptr;
}

schema::schema() {
  add_scalar(*this, "Int",
             "The `Int` scalar type represents non-fractional signed whole "
             "numeric values. Int can represent values between -(2^31) and "
             "2^31 - 1.");
  add_scalar(*this, "Float",
             "The `Float` scalar type represents signed double-precision "
             "fractional values as specified by IEEE 754.");
  add_scalar(*this, "String",
             "The `String` scalar type represents textual data, represented "
             "as UTF-8 character sequences.");
  add_scalar(*this, "Boolean",
             "The `Boolean` scalar type represents `true` or `false`.");
  add_scalar(*this, "ID",
             "The `ID` scalar type represents a unique identifier, often used "
             "to refetch an object or as key for a cache.");
  const std::vector<std::string> incl_locs = {"FIELD", "FRAGMENT_SPREAD",
                                              "INLINE_FRAGMENT"};
  add_directive({"include",
                 "Directs the executor to include this field or fragment only "
                 "when the `if` argument is true.",
                 incl_locs,
                 {arg("if", non_null("Boolean"), "Included when true.")},
                 false});
  add_directive({"skip",
                 "Directs the executor to skip this field or fragment when "
                 "the `if` argument is true.",
                 incl_locs,
                 {arg("if", non_null("Boolean"), "Skipped when true.")},
                 false});
  add_directive({"deprecated",
                 "Marks an element of a GraphQL schema as no longer supported.",
                 {"FIELD_DEFINITION", "ARGUMENT_DEFINITION",
                  "INPUT_FIELD_DEFINITION", "ENUM_VALUE"},
                 {arg("reason", type_ref::named_type("String"),
                      "Explains why this element was deprecated.",
                      nlohmann::json("No longer supported"))},
                 false});
  add_directive({"specifiedBy",
                 "Exposes a URL that specifies the behavior of this scalar.",
                 {"SCALAR"},
                 {arg("url", non_null("String"),
                      "The URL that specifies the behavior of this scalar.")},
                 false});
  add_introspection_types(*this);
}

type_def& schema::add_type(type_def t) {
  std::string name = t.name;
  auto& slot = types_[name];
  slot = std::make_unique<type_def>(std::move(t));
  return *slot;
}

void schema::add_directive(directive_def d) {
  for (auto& existing : directives_) {
    if (existing.name == d.name) {
      existing = std::move(d);
      return;
    }
  }
  directives_.push_back(std::move(d));
}

const type_def* schema::find(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second.get();
}

type_def* schema::find_mutable(std::string_view name) {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second.get();
}

const directive_def* schema::find_directive(std::string_view name) const {
  for (const auto& d : directives_)
    if (d.name == name)
      return &d;
  return nullptr;
}

const type_def* schema::mutation_type() const {
  return mutation_.empty() ? nullptr : find(mutation_);
}

const type_def* schema::subscription_type() const {
  return subscription_.empty() ? nullptr : find(subscription_);
}

const type_def* schema::root_type(operation_type op) const {
  switch (op) {
    case operation_type::query:
      return query_type();
    case operation_type::mutation:
      return mutation_type();
    case operation_type::subscription:
      return subscription_type();
  }
  return nullptr;
}

std::vector<const type_def*> schema::types() const {
  std::vector<const type_def*> out;
  out.reserve(types_.size());
  for (const auto& [name, t] : types_)
    out.push_back(t.get());
  return out;
}

std::vector<const type_def*> schema::possible_types(const type_def& t) const {
  std::vector<const type_def*> out;
  if (t.kind == type_kind::object) {
    out.push_back(&t);
  } else if (t.kind == type_kind::union_) {
    for (const auto& m : t.members)
      if (const auto* mt = find(m))
        out.push_back(mt);
  } else if (t.kind == type_kind::interface) {
    for (const auto& [name, o] : types_) {
      if (o->kind == type_kind::object &&
          std::find(o->interfaces.begin(), o->interfaces.end(), t.name) !=
            o->interfaces.end())
        out.push_back(o.get());
    }
  }
  return out;
}

bool schema::is_possible_type(const type_def& abstract,
                              const type_def& object) const {
  if (abstract.kind == type_kind::object)
    return abstract.name == object.name;
  if (abstract.kind == type_kind::union_)
    return std::find(abstract.members.begin(), abstract.members.end(),
                     object.name) != abstract.members.end();
  if (abstract.kind == type_kind::interface)
    return std::find(object.interfaces.begin(), object.interfaces.end(),
                     abstract.name) != object.interfaces.end();
  return false;
}

bool schema::types_overlap(const type_def& a, const type_def& b) const {
  if (a.name == b.name)
    return true;
  auto pa = possible_types(a);
  auto pb = possible_types(b);
  for (const auto* x : pa)
    for (const auto* y : pb)
      if (x->name == y->name)
        return true;
  return false;
}

bool schema::is_subtype(const type_ref& sub, const type_ref& super) const {
  if (super.k == type_ref::kind::non_null) {
    if (sub.k != type_ref::kind::non_null)
      return false;
    return is_subtype(*sub.of, *super.of);
  }
  if (sub.k == type_ref::kind::non_null)
    return is_subtype(*sub.of, super);
  if (super.k == type_ref::kind::list) {
    if (sub.k != type_ref::kind::list)
      return false;
    return is_subtype(*sub.of, *super.of);
  }
  if (sub.k == type_ref::kind::list)
    return false;
  return sub.name == super.name;
}

std::string schema::check() const {
  auto exists = [&](const type_ref& t) { return find(t.base_name()); };
  if (!query_type() || query_type()->kind != type_kind::object)
    return "query root type '" + query_ + "' is not an object type";
  for (const auto& [name, t] : types_) {
    if (!valid_name(name))
      return "invalid type name '" + name + "'";
    for (const auto& f : t->fields) {
      const type_def* ft = exists(f.type);
      if (!ft)
        return name + "." + f.name + ": unknown type " + f.type.str();
      if (ft->kind == type_kind::input_object)
        return name + "." + f.name + ": input type as output";
      for (const auto& a : f.args) {
        const type_def* at = exists(a.type);
        if (!at || !at->is_input())
          return name + "." + f.name + "(" + a.name + "): not an input type";
      }
    }
    for (const auto& f : t->input_fields) {
      const type_def* ft = exists(f.type);
      if (!ft || !ft->is_input())
        return name + "." + f.name + ": not an input type";
    }
    for (const auto& i : t->interfaces) {
      const type_def* it = find(i);
      if (!it || it->kind != type_kind::interface)
        return name + " implements unknown interface " + i;
      for (const auto& f : it->fields)
        if (!t->field(f.name))
          return name + " lacks " + i + "." + f.name;
    }
    for (const auto& m : t->members) {
      const type_def* mt = find(m);
      if (!mt || mt->kind != type_kind::object)
        return name + ": union member " + m + " is not an object type";
    }
    if ((t->kind == type_kind::object || t->kind == type_kind::interface) &&
        t->fields.empty())
      return name + " has no fields";
  }
  return {};
}

} // namespace themis::graphql
