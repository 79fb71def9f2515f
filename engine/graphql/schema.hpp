#pragma once
/// The GraphQL type system (section 3), built in code. A schema is filled
/// once (schema_builder-style add_* calls), then treated as immutable: the
/// validator and executors only read it, so one instance may be shared by
/// concurrent requests (the glue caches it per tenant and catalog version;
/// building one for ~100 types costs microseconds, so per request is also
/// fine). The constructor adds the built-in scalars, the directives
/// @include/@skip/@deprecated/@specifiedBy and the introspection types.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/resolver.hpp"

namespace themis::graphql {

enum class type_kind { scalar, object, interface, union_, enum_, input_object };

const char* to_string(type_kind k); ///< "SCALAR", "OBJECT", ...

/// An argument or an input object field.
struct input_value_def {
  std::string name;
  std::string description;
  type_ref type;
  std::optional<nlohmann::json> default_value; ///< already coerced JSON
  std::optional<std::string> deprecation_reason;
};

struct field_def {
  std::string name;
  std::string description;
  std::vector<input_value_def> args;
  type_ref type;
  std::optional<std::string> deprecation_reason;
  /// Unset: the default resolver (parent[name]).
  resolver_fn resolve;
  /// Set: preferred over `resolve`; called once per level (no N+1).
  batch_resolver_fn resolve_batch;
  /// Static cost of one evaluation (validator's complexity limit).
  unsigned cost = 1;

  const input_value_def* arg(std::string_view n) const;
};

struct enum_value_def {
  std::string name;
  std::string description;
  std::optional<std::string> deprecation_reason;
};

struct type_def {
  type_kind kind = type_kind::object;
  std::string name;
  std::string description;
  std::string specified_by_url;        ///< custom scalars
  std::vector<field_def> fields;       ///< object / interface
  std::vector<std::string> interfaces; ///< object / interface implements
  std::vector<std::string> members;    ///< union member object types
  std::vector<enum_value_def> enum_values;
  std::vector<input_value_def> input_fields;
  /// interface / union: concrete type of a value (default: "__typename").
  type_resolver_fn resolve_type;
  /// Custom scalars: input coercion (variables and literals converted to
  /// JSON first); nullopt rejects. Unset: any JSON accepted.
  std::function<std::optional<nlohmann::json>(const nlohmann::json&)>
    parse_value;
  /// Custom scalars: result coercion; nullopt is a field error. Unset:
  /// pass-through.
  std::function<std::optional<nlohmann::json>(const nlohmann::json&)> serialize;

  const field_def* field(std::string_view n) const;
  const input_value_def* input_field(std::string_view n) const;
  const enum_value_def* enum_value(std::string_view n) const;
  bool is_composite() const {
    return kind == type_kind::object || kind == type_kind::interface ||
           kind == type_kind::union_;
  }
  bool is_abstract() const {
    return kind == type_kind::interface || kind == type_kind::union_;
  }
  bool is_leaf() const {
    return kind == type_kind::scalar || kind == type_kind::enum_;
  }
  bool is_input() const {
    return kind == type_kind::scalar || kind == type_kind::enum_ ||
           kind == type_kind::input_object;
  }
};

struct directive_def {
  std::string name;
  std::string description;
  std::vector<std::string> locations; ///< "QUERY", "FIELD", ...
  std::vector<input_value_def> args;
  bool repeatable = false;

  const input_value_def* arg(std::string_view n) const;
  bool allowed_at(std::string_view loc) const;
};

class schema {
public:
  schema();

  /// Adds or replaces a type. Returns a reference valid until the next
  /// add_type (types live in a map of unique_ptr, so it stays valid).
  type_def& add_type(type_def t);
  void add_directive(directive_def d);
  void set_query_type(std::string name) { query_ = std::move(name); }
  void set_mutation_type(std::string name) { mutation_ = std::move(name); }
  void set_subscription_type(std::string name) {
    subscription_ = std::move(name);
  }
  void set_description(std::string d) { description_ = std::move(d); }

  const type_def* find(std::string_view name) const;
  type_def* find_mutable(std::string_view name);
  const directive_def* find_directive(std::string_view name) const;
  const type_def* query_type() const { return find(query_); }
  const type_def* mutation_type() const;
  const type_def* subscription_type() const;
  const type_def* root_type(operation_type op) const;
  const std::string& description() const { return description_; }

  /// Types in name order (deterministic introspection output).
  std::vector<const type_def*> types() const;
  const std::vector<directive_def>& directives() const { return directives_; }

  /// Object types an abstract type can be (union members, or the objects
  /// implementing an interface); {t} for an object type.
  std::vector<const type_def*> possible_types(const type_def& t) const;
  bool is_possible_type(const type_def& abstract, const type_def& object) const;
  /// Whether two composite types can share an object (fragment spreads).
  bool types_overlap(const type_def& a, const type_def& b) const;
  /// Sub-type check for variable usages: `sub` may be passed where `super`
  /// is expected (section 5.8.5 AreTypesCompatible).
  bool is_subtype(const type_ref& sub, const type_ref& super) const;

  /// Consistency of what the glue built (every referenced type exists,
  /// object types implement their interfaces' fields, names valid). Empty
  /// string when fine.
  std::string check() const;

private:
  std::map<std::string, std::unique_ptr<type_def>, std::less<>> types_;
  std::vector<directive_def> directives_;
  std::string query_ = "Query";
  std::string mutation_;
  std::string subscription_;
  std::string description_;
};

/// Built-in scalar helpers.
bool is_builtin_scalar(std::string_view name);
bool is_introspection_type(std::string_view name);

} // namespace themis::graphql
