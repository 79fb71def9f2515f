#pragma once
/// Pieces of the MCP HTTP transport shared by its files: JSON-RPC error
/// answers at the HTTP level, the 401 challenge that points at the
/// protected-resource metadata, and the SSE streams (mcp_streams.cpp).

#include <memory>
#include <string>

#include "handlers/mcp_context.hpp"
#include "handlers/route_context.hpp"

namespace themis::mcp {

/// An HTTP error whose body is a JSON-RPC error without an id.
api_response http_rpc_error(int status, int code, const std::string& message);

/// 401 + `WWW-Authenticate: Bearer resource_metadata="…"` (MCP
/// authorization, RFC 9728 §5.1).
api_response unauthorized(const route_context& ctx);

/// The canonical URI of this MCP server (mcp.resource_url, or
/// http://<Host>/mcp).
std::string resource_url(const route_context& ctx);

/// Answers `m` (a request) as an SSE stream on this connection: its
/// notifications, then its response.
void start_call_stream(route_context& ctx, const context_ptr& c, rpc_message m);

/// GET /mcp: the session's server→client stream (resource updates from
/// the changefeed, resumable with Last-Event-ID).
void start_get_stream(route_context& ctx, const std::shared_ptr<session>& s);

} // namespace themis::mcp
