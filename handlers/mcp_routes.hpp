#pragma once
/// The MCP server's HTTP routes (docs/mcp.md): the Streamable HTTP
/// endpoint and the OAuth protected-resource metadata that its 401s
/// point at.

namespace themis {

struct route_context;

/// POST/GET/DELETE /mcp: JSON-RPC messages, the server→client SSE
/// stream, the end of a session.
void mcp_endpoint(route_context& ctx);
/// GET /.well-known/oauth-protected-resource[/mcp] (RFC 9728).
void mcp_resource_metadata(route_context& ctx);

} // namespace themis
