#pragma once
/// JSON-RPC 2.0 as MCP uses it (docs/mcp.md): message classification,
/// error objects, protocol-version negotiation, batching rules, Origin
/// checks and themis:// resource URIs. Pure functions over JSON and
/// strings, no CAF and no handler state, so unit tests and fuzzers can
/// drive them with hostile input.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::mcp {

using json = nlohmann::json;

/// JSON-RPC and MCP error codes.
enum rpc_code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  /// Transport-level refusals without a request id (the SDK's choice).
  server_error = -32000,
  session_not_found = -32001,
  /// MCP: resources/read of a URI that names nothing.
  resource_not_found = -32002,
  request_cancelled = -32800,
};

enum class rpc_kind { request, notification, response, invalid };

struct rpc_message {
  rpc_kind kind = rpc_kind::invalid;
  json id;            ///< request / response id (null for notifications)
  std::string method; ///< requests and notifications
  json params = json::object();
  std::string error; ///< why it is invalid
};

/// Classifies one decoded JSON value as a JSON-RPC 2.0 message. Ids are
/// strings or integers (MCP forbids null ids); params, when present,
/// must be an object (MCP never uses positional params).
rpc_message classify(const json& j);

json rpc_error(const json& id, int code, std::string_view message,
               const json& data = nullptr);
json rpc_result(const json& id, json result);
json rpc_notification(std::string_view method, json params);

/// Protocol revisions this server speaks, newest first.
const std::vector<std::string>& supported_versions();
bool supported_version(std::string_view v);
/// The revision to answer an initialize with: the client's if supported,
/// else the newest (the client then decides whether to go on).
std::string negotiate_version(const json& requested);
/// JSON-RPC batches exist in MCP only in revision 2025-03-26.
bool batches_allowed(std::string_view version);

/// DNS-rebinding protection: no Origin (not a browser) passes; "null" and
/// anything unparsable fails; `allowed` lists exact origins or "*";
/// localhost origins (localhost, 127.0.0.1, [::1], any port) pass when
/// `allow_localhost` is set.
bool origin_allowed(const std::string* origin,
                    const std::vector<std::string>& allowed,
                    bool allow_localhost);

/// themis://collections/{name}[/documents/{key}]; the key is
/// percent-encoded in the URI.
struct resource_ref {
  std::string collection; ///< the name the principal knows it by
  std::string key;        ///< empty: the collection itself
};
std::optional<resource_ref> parse_resource_uri(std::string_view uri);
std::string collection_uri(std::string_view name);
std::string document_uri(std::string_view name, std::string_view key);

/// Whether an Accept header admits `type` (a missing header admits all).
bool accepts(const std::string* accept, std::string_view type);

} // namespace themis::mcp
