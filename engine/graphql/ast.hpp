#pragma once
/// GraphQL executable-document AST (October 2021 spec, section 2). Plain
/// value types: a document owns everything, nodes carry their source
/// location so validation and execution errors can point at them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace themis::graphql {

/// 1-based line and column (columns count Unicode code points, as the spec's
/// error format and graphql-js do).
struct location {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  bool operator==(const location&) const = default;
};

enum class value_kind {
  variable,
  int_,
  float_,
  string,
  boolean,
  null,
  enum_,
  list,
  object
};

/// A literal or variable reference. `text` holds the variable name, the
/// number's source text, the decoded string or the enum name. Object fields
/// are `items` whose `name` is set (keeps the type non-recursive by value).
struct value {
  value_kind kind = value_kind::null;
  std::string text;
  bool boolean = false;
  std::vector<value> items;
  std::string name; ///< object field name when this value is an object field
  location loc;
  location name_loc; ///< location of the object field's name
};

/// Type reference in a variable definition (and in schema field types).
struct type_ref {
  enum class kind { named, list, non_null };
  kind k = kind::named;
  std::string name;             ///< for named
  std::shared_ptr<type_ref> of; ///< for list / non_null
  location loc;

  static type_ref named_type(std::string n);
  static type_ref list_of(type_ref inner);
  static type_ref non_null_of(type_ref inner);
  bool is_non_null() const { return k == kind::non_null; }
  bool is_list() const { return k == kind::list; }
  /// The innermost named type.
  const std::string& base_name() const;
  /// Printed as in the spec: `[Int!]!`.
  std::string str() const;
  bool operator==(const type_ref& o) const;
};

struct argument {
  std::string name;
  value val;
  location loc;
};

struct directive {
  std::string name;
  std::vector<argument> args;
  location loc;
};

struct selection;

struct selection_set {
  std::vector<selection> items;
  location loc;
  bool empty() const { return items.empty(); }
};

enum class selection_kind { field, fragment_spread, inline_fragment };

/// A field (alias, name, args, directives, selections), a fragment spread
/// (`name` is the fragment name) or an inline fragment (`type_condition`,
/// empty when absent).
struct selection {
  selection_kind kind = selection_kind::field;
  std::string alias;
  std::string name;
  std::vector<argument> args;
  std::vector<directive> directives;
  std::string type_condition;
  location type_condition_loc;
  selection_set selections;
  location loc;
  location name_loc; ///< a fragment spread's name (graphql-js reports it)

  /// The key the field's value has in the response: alias or name.
  const std::string& response_key() const {
    return alias.empty() ? name : alias;
  }
};

struct variable_definition {
  std::string name;
  type_ref type;
  std::optional<value> default_value;
  std::vector<directive> directives;
  location loc;
  location name_loc; ///< the name after `$`
};

enum class operation_type { query, mutation, subscription };

const char* to_string(operation_type t);

struct operation_definition {
  operation_type op = operation_type::query;
  std::string name; ///< empty for anonymous operations
  std::vector<variable_definition> variables;
  std::vector<directive> directives;
  selection_set selections;
  location loc;
  location name_loc;
};

struct fragment_definition {
  std::string name;
  std::string type_condition;
  location type_condition_loc;
  std::vector<directive> directives;
  selection_set selections;
  location loc;
  location name_loc;
};

/// A type-system definition or extension (SDL) that appeared in the
/// document: it is skipped by the parser and kept only so validation can
/// report it (ExecutableDefinitions rule).
struct non_executable_definition {
  std::string kind; ///< "schema", "type", "scalar", ... ("extend type" etc.)
  std::string name;
  location loc;
};

/// Definitions in source order are kept by kind; `order` records the
/// interleaving (0 = operation, 1 = fragment, 2 = non-executable) for
/// rules that care.
struct document {
  std::vector<operation_definition> operations;
  std::vector<fragment_definition> fragments;
  std::vector<non_executable_definition> non_executable;

  const fragment_definition* fragment(const std::string& name) const;
};

} // namespace themis::graphql
