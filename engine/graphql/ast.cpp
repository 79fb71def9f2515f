#include "engine/graphql/ast.hpp"

namespace themis::graphql {

type_ref type_ref::named_type(std::string n) {
  type_ref t;
  t.name = std::move(n);
  return t;
}

type_ref type_ref::list_of(type_ref inner) {
  type_ref t;
  t.k = kind::list;
  t.loc = inner.loc;
  t.of = std::make_shared<type_ref>(std::move(inner));
  return t;
}

type_ref type_ref::non_null_of(type_ref inner) {
  type_ref t;
  t.k = kind::non_null;
  t.loc = inner.loc;
  t.of = std::make_shared<type_ref>(std::move(inner));
  return t;
}

const std::string& type_ref::base_name() const {
  const type_ref* t = this;
  while (t->k != kind::named && t->of)
    t = t->of.get();
  return t->name;
}

std::string type_ref::str() const {
  switch (k) {
    case kind::named:
      return name;
    case kind::list: {
      std::string s = "[";
      if (of)
        s += of->str();
      s += ']';
      return s;
    }
    case kind::non_null:
      return (of ? of->str() : std::string()) + "!";
  }
  return name;
}

bool type_ref::operator==(const type_ref& o) const {
  if (k != o.k)
    return false;
  if (k == kind::named)
    return name == o.name;
  if (!of || !o.of)
    return !of && !o.of;
  return *of == *o.of;
}

const char* to_string(operation_type t) {
  switch (t) {
    case operation_type::query:
      return "query";
    case operation_type::mutation:
      return "mutation";
    case operation_type::subscription:
      return "subscription";
  }
  return "query";
}

const fragment_definition* document::fragment(const std::string& name) const {
  for (const auto& f : fragments)
    if (f.name == name)
      return &f;
  return nullptr;
}

} // namespace themis::graphql
