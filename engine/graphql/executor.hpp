#pragma once
/// Execution (October 2021, section 6) of a validated document. Resumable:
/// start() runs every field it can; fields whose resolvers returned
/// `pending` wait until the glue calls resolve(handle, result) and then
/// resume(). Fields are executed breadth-first, one response level at a
/// time, so a batch resolver sees every parent of its field at that level.
/// Mutation root fields run serially (a root field and its whole subtree
/// complete before the next root field starts). Not thread-safe: drive one
/// executor from one actor/strand.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/error.hpp"
#include "engine/graphql/resolver.hpp"
#include "engine/graphql/schema.hpp"

namespace themis::graphql {

struct execute_options {
  std::string operation_name; ///< empty: the document's only operation
  nlohmann::json variables = nlohmann::json::object(); ///< raw request input
  nlohmann::json root_value = nlohmann::json::object();
  void* user = nullptr;      ///< handed to every resolver
  bool introspection = true; ///< false: __schema/__type fail (validated too)
  /// Subscriptions: the event value for the root field (MapSourceToResponse
  /// Event); the root field's resolver is not called.
  std::optional<nlohmann::json> subscription_event;
  std::size_t max_errors = 100; ///< further field errors are dropped
};

/// The operation a request selects (GetOperation, 6.1), or an error.
const operation_definition*
select_operation(const document& doc, const std::string& name, error& err);

/// Variable coercion (CoerceVariableValues, 6.1.2): raw JSON input to
/// coerced values, or errors (request errors: no data).
std::optional<nlohmann::json> coerce_variables(const schema& s,
                                               const operation_definition& op,
                                               const nlohmann::json& input,
                                               std::vector<error>& errors);

/// For the glue's CreateSourceEventStream (6.2.3.1): the subscription's
/// single root field with its coerced arguments.
struct subscription_root {
  std::string field_name;
  std::string response_key;
  nlohmann::json args;
  const selection* node = nullptr;
};
std::optional<subscription_root>
subscription_root_field(const schema& s, const document& doc,
                        const execute_options& opts,
                        std::vector<error>& errors);

class executor {
public:
  /// `s` and `doc` must outlive the executor (the glue keeps them in the
  /// request state).
  executor(const schema& s, const document& doc, execute_options opts);
  ~executor();
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  /// Selects the operation, coerces variables, runs until done or waiting
  /// on deferred fields.
  void start();
  /// Completes a deferred field (unknown / already completed handles are
  /// ignored and return false).
  bool resolve(deferred_handle h, field_result result);
  /// Continues after resolve(); a no-op while handles are outstanding.
  void resume();
  bool done() const;
  /// Handles still outstanding.
  std::size_t pending() const;
  std::vector<deferred_handle> pending_handles() const;
  /// {"data": ..., "errors": [...]} (errors omitted when none; data omitted
  /// for request errors such as bad variables). Valid when done().
  nlohmann::json response() const;
  /// The same with response keys in selection-set order (spec 7.2.2): what
  /// the glue should serialise.
  nlohmann::ordered_json response_ordered() const;
  /// The response serialised straight from the result tree, keys in
  /// selection-set order, without building a JSON value first (the HTTP
  /// transport's fast path). Valid when done().
  std::string response_text() const;
  /// Whether the response has an "errors" entry.
  bool has_errors() const;
  /// True when the request failed before execution (no "data" key).
  bool request_error() const;

  deferred_handle new_handle();

  struct impl; ///< public name so file-local helpers can take it

private:
  std::unique_ptr<impl> impl_;
};

/// Convenience for synchronous resolvers (tests, introspection-only): runs
/// start() and returns the response; pending fields become errors.
nlohmann::json execute_sync(const schema& s, const document& doc,
                            execute_options opts);

} // namespace themis::graphql
