#pragma once
/// The handler registry (issue 22): every HTTP route is registered once, as
/// data — path template, handler per method, summary, tags, scope, JSON
/// Schemas, declared errors, deprecation, rate-limit group. The router
/// matches paths against it, the auth gate reads scopes from it, the
/// validator compiles its schemas, /openapi.json is generated from it.
///
/// Registering a route (docs/rest-api.md, "Adding a route"):
///
///   reg.add("/v1/collections/{c}", {"collections"})
///     .get(get_collection, "Get a collection").scope("data:read")
///     .response(schema).errors({404})
///     .del(drop_collection, "Drop a collection").scope("data:write");
///
/// in one of the register_*_routes functions (route_table.hpp). Templates:
/// literal segments, `{name}` captures (passed to the handler in order; a
/// name starting with `_` matches but is not passed), and a trailing `*`
/// (one or more segments, not passed). Matching prefers a literal segment
/// over a capture over `*` at every level, whatever the registration order.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "handlers/cache_policy.hpp"
#include "handlers/route_table.hpp"

namespace themis {

/// RFC 9745 / RFC 8594 data of a deprecated operation.
struct deprecation_info {
  int64_t deprecated_at = 0; ///< epoch seconds; 0: not deprecated
  int64_t sunset_at = 0;     ///< epoch seconds; 0: no sunset announced
  std::string successor;     ///< the successor version's path
  bool active() const { return deprecated_at != 0; }
};

/// A compiled JSON Schema (handlers/request_validation.cpp); opaque here so
/// the registry does not pull the validator's headers into every handler.
struct compiled_schema;

/// One method of a route.
struct route_op {
  std::string method; ///< GET, POST, PUT, PATCH, DELETE, or * (any)
  handler_fn fn = nullptr;
  std::string summary, description;
  std::vector<std::string> tags;
  /// The scope the auth gate requires: "" public, "authenticated" any
  /// principal, else a scope name. Unset: the gate's own path rule
  /// (/metrics, whose openness is configuration).
  std::optional<std::string> scope;
  nlohmann::json body_schema;     ///< null: the body is not validated
  nlohmann::json query_schema;    ///< object schema of the query parameters
  nlohmann::json response_schema; ///< of the success answer; null: any JSON
  int success = 200;              ///< the documented success status
  std::string response_type = "application/json";
  std::string request_type = "application/json";
  /// Further request media types with their own body schema (PATCH takes
  /// merge-patch+json and json-patch+json): documented, left to the
  /// handler (the validator reads body_schema only).
  std::vector<std::pair<std::string, nlohmann::json>> other_bodies;
  /// Declared statuses besides `success`: 2xx ones are further successes,
  /// the others errors with ThemisDB's body (or any body, below).
  std::vector<int> errors;
  /// The handler answers errors in its protocol's own shape (GraphQL,
  /// JSON-RPC), not ThemisDB's.
  bool own_error_shape = false;
  nlohmann::json example; ///< a request body the contract test may send
  std::string rate_group = "default";
  cache_policy cache; ///< read by handlers/cache_middleware.cpp
  deprecation_info deprecation;
  std::shared_ptr<const compiled_schema> body_check, query_check;
};

struct route_entry {
  std::string path;  ///< the template
  std::string label; ///< metrics and trace label (defaults to the path)
  std::vector<route_op> ops;
  std::vector<std::string> tags;           ///< default tags of its operations
  std::vector<std::string> leading_params; ///< passed before the captures
  enum class gate { always, debug, faults } when = gate::always;
  /// Set on an /api/v1 twin: the handler sees the request as sent to this
  /// path prefix instead (handlers that read req.path keep working).
  std::string serve_as_prefix, own_prefix;
  std::string alias_of; ///< the canonical path, on an alias
  bool documented = true;
  /// Reserved namespace: a path here that no route matches is 404 rather
  /// than a less specific route's (the Go SDK's /api/{m}/{c}/{id}).
  bool reserved = false;

  const route_op* op(const std::string& method) const;
};

class route_registry;

/// Fluent registration; each method call after get/post/… applies to that
/// operation, route-level calls (label, leading) to the route.
class route_builder {
public:
  route_builder(route_registry& r, size_t index) : reg_(r), i_(index) {}
  route_builder& get(handler_fn fn, std::string summary);
  route_builder& post(handler_fn fn, std::string summary);
  route_builder& put(handler_fn fn, std::string summary);
  route_builder& patch(handler_fn fn, std::string summary);
  route_builder& del(handler_fn fn, std::string summary);
  route_builder& any(handler_fn fn, std::string summary);
  route_builder& op(std::string method, handler_fn fn, std::string summary);

  route_builder& describe(std::string text);
  route_builder& scope(std::string s);
  route_builder& body(nlohmann::json schema, nlohmann::json example = {});
  route_builder& query(nlohmann::json schema);
  route_builder& response(nlohmann::json schema, int status = 200);
  route_builder& produces(std::string content_type);
  route_builder& consumes(std::string content_type);
  route_builder& also_consumes(std::string content_type, nlohmann::json schema);
  route_builder& errors(std::vector<int> statuses);
  route_builder& own_error_shape();
  route_builder& rate_group(std::string g);
  /// The operation's cache policy (handlers/cache_policy.hpp).
  route_builder& cache(cache_policy p);
  route_builder& deprecated(int64_t at, int64_t sunset, std::string successor);

  route_builder& label(std::string l);
  route_builder& leading(std::vector<std::string> params);
  route_builder& when(route_entry::gate g);
  route_builder& undocumented();

private:
  route_op& last();
  route_registry& reg_;
  size_t i_;
};

class route_registry {
public:
  route_registry();
  ~route_registry();
  route_registry(const route_registry&) = delete;
  route_registry& operator=(const route_registry&) = delete;

  /// A new route; `tags` are the default tags of its operations. A path
  /// registered twice is a programming error (std::logic_error at start).
  route_builder add(std::string path, std::vector<std::string> tags = {});
  /// A complete entry (the versioned twins); false if its path is taken.
  bool add_entry(route_entry e);
  /// A reserved namespace (`/api/v1/*`): see route_entry::reserved.
  void reserve(std::string path);

  /// Adds the /api/v1 twins (route_table.cpp's versioning policy), builds
  /// the matcher and compiles the schemas. Call once, after registering.
  void finish();

  /// The route for a split path, its parameters (leading ones first), or
  /// null. Gated routes match only when their switch is on.
  const route_entry* match(const std::vector<std::string>& segs, bool debug,
                           bool faults, std::vector<std::string>& params) const;

  const std::vector<std::unique_ptr<route_entry>>& routes() const {
    return routes_;
  }
  route_entry& at(size_t i) { return *routes_[i]; }
  const route_entry* find(const std::string& path) const;

  /// The server's registry: every register_*_routes function, finished.
  static const route_registry& global();

private:
  struct node;
  void insert(size_t index);
  std::vector<std::unique_ptr<route_entry>> routes_;
  std::unique_ptr<node> root_;
};

/// "/a/{b}" → {"a", "{b}"}; a request path splits the same way (empty
/// segments dropped), so the router matches what the registry stores.
std::vector<std::string> split_template(const std::string& path);

/// The label (and OpenAPI path) of a template: `{_x}` → `{x}`.
std::string label_of(const std::string& path);

/// The scope the registry declares for a request (nullopt: no route, or
/// the route leaves it to the gate).
std::optional<std::string> registry_scope(const std::string& method,
                                          const std::string& path);

} // namespace themis
