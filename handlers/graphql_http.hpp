#pragma once
/// GraphQL over HTTP (the GraphQL-over-HTTP draft) at /graphql:
/// POST with an application/json body {query, operationName, variables,
/// extensions}; GET with the same as URL parameters (queries only: a
/// mutation over GET is 405 with Allow: POST); the response media type
/// from Accept — application/graphql-response+json (request errors 4xx,
/// field errors 200) or application/json (200 for every well-formed
/// request); array bodies (batching) only with graphql.batching;
/// automatic persisted queries (extensions.persistedQuery.sha256Hash).
/// A GET with a WebSocket upgrade goes to graphql-transport-ws
/// (graphql_ws.hpp).

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "handlers/graphql_run.hpp"

namespace themis {

struct route_context;

/// GET and POST /graphql.
void graphql_http(route_context& ctx);

namespace gql {

/// One GraphQL request's parameters (from a body or the URL).
struct request_params {
  std::string query;
  std::string operation_name;
  nlohmann::json variables = nlohmann::json::object();
  nlohmann::json extensions = nlohmann::json::object();
};

/// Reads {query, operationName, variables, extensions} from `j`; the
/// message of a 400 (malformed request) otherwise.
std::string read_params(const nlohmann::json& j, request_params& out);

/// How an operation ended before or after execution.
struct outcome {
  nlohmann::json body;        ///< {"data"?, "errors"?}
  bool request_error = false; ///< no data: parse/validation/coercion
  int status = 200;           ///< set for refusals (403, 405)
  std::string allow;          ///< Allow header for a 405
  std::string text;           ///< set: the body, already serialised
};

/// What a transport allows for an operation.
struct transport_rules {
  bool get = false;           ///< HTTP GET: queries only
  bool subscriptions = false; ///< the WebSocket transport
  bool text = false;          ///< an error-free answer as outcome::text
};

/// Parses, validates and executes `p` for `who` on `ports`; `done` gets
/// the outcome (possibly before this returns). Subscriptions are refused
/// here (the WebSocket transport runs them).
void run_operation(request_params p, const principal& who, run_ports ports,
                   transport_rules rules, std::function<void(outcome)> done);

/// The parsed document and selected operation of a subscription, or the
/// request error; for the WebSocket transport.
struct prepared {
  std::shared_ptr<const schema_bundle> bundle;
  std::shared_ptr<const graphql::document> doc;
  const graphql::operation_definition* op = nullptr;
  std::optional<outcome> refused; ///< set: answer this instead
};
prepared prepare(request_params& p, const principal& who, handler_env& env,
                 transport_rules rules);

/// Error messages without the tenant's stored-name prefix.
void strip_tenant(nlohmann::json& body, const std::string& tenant);

/// A request error body: {"errors":[{"message", "extensions":{"code"}}]}.
nlohmann::json request_error(const std::string& message,
                             const std::string& code);

} // namespace gql
} // namespace themis
