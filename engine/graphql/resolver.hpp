#pragma once
/// Resolver interface between the executor and the code that fetches data
/// (the glue's catalog/engine resolvers, and the built-in introspection).

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/graphql/ast.hpp"

namespace themis::graphql {

class schema;
struct type_def;
struct field_def;
class executor;

/// Handle of a field whose value arrives later (async engine read, a write
/// through the store writer). Complete it with executor::resolve().
using deferred_handle = std::uint64_t;

/// What a resolver returns: a value (JSON, completed against the field's
/// type), an error (the field becomes null, the error gets the field's path
/// and location), or `pending` with a handle from resolve_context::defer().
struct field_result {
  enum class kind { value, error, pending };
  kind k = kind::value;
  nlohmann::json val;
  std::string message; ///< for error
  std::string code;    ///< extensions.code for error (optional)
  deferred_handle handle = 0;

  static field_result of(nlohmann::json v) {
    field_result r;
    r.val = std::move(v);
    return r;
  }
  static field_result fail(std::string msg, std::string code = {}) {
    field_result r;
    r.k = kind::error;
    r.message = std::move(msg);
    r.code = std::move(code);
    return r;
  }
  static field_result pending(deferred_handle h) {
    field_result r;
    r.k = kind::pending;
    r.handle = h;
    return r;
  }
};

/// Everything a resolver may look at. References are valid only during the
/// call; copy what async work needs.
struct resolve_context {
  const schema& sch;
  const type_def& parent_type;
  const field_def& field;
  const selection& node;        ///< the (first) field AST node: look-ahead
  const nlohmann::json& parent; ///< parent object value
  const nlohmann::json& args;   ///< coerced arguments (object)
  const nlohmann::json& path;   ///< response path of this field
  const nlohmann::json& variables;
  const document& doc; ///< for fragments during look-ahead
  void* user;          ///< per-request pointer from execute_options
  executor& exec;

  /// Allocates a handle; return field_result::pending(handle) and later call
  /// exec.resolve(handle, result) then exec.resume().
  deferred_handle defer();
};

/// One call for all parents of a field at one level of the response (the
/// items of a list, or sibling lists): `parents[i]`/`paths[i]` belong to
/// result i. The returned vector must have parents.size() entries (a size
/// mismatch fails every item). Items may be pending (each its own handle).
struct batch_context {
  const schema& sch;
  const type_def& parent_type;
  const field_def& field;
  const selection& node;
  std::vector<const nlohmann::json*> parents;
  const nlohmann::json& args; ///< same for all items (same field node)
  std::vector<nlohmann::json> paths;
  const nlohmann::json& variables;
  const document& doc;
  void* user;
  executor& exec;

  deferred_handle defer();
};

using resolver_fn = std::function<field_result(resolve_context&)>;
using batch_resolver_fn =
  std::function<std::vector<field_result>(batch_context&)>;
/// For interfaces and unions: the concrete object type name of a value.
/// Default: the value's "__typename" member.
using type_resolver_fn =
  std::function<std::string(const nlohmann::json&, void* user)>;

} // namespace themis::graphql
