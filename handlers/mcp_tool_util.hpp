#pragma once
/// Helpers the MCP tool implementations share: results in MCP's shape
/// (text content plus structuredContent, or isError), argument readers
/// that refuse wrong types with a message the model can act on, and the
/// scope check of each tool.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "handlers/mcp_context.hpp"

namespace themis::mcp {

/// A tool failure the caller can correct: answered as an isError result.
struct tool_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json tool_ok(json structured);
json tool_failed(const std::string& message);

/// Throws tool_error unless the principal has `scope`.
void need_scope(const call_context& c, const char* scope);

std::string arg_string(const json& args, const char* name, bool required,
                       size_t max_len = 4096);
/// An unsigned integer in [lo, hi]; `dflt` when absent.
uint64_t arg_uint(const json& args, const char* name, uint64_t dflt,
                  uint64_t lo, uint64_t hi);
/// An object (bind variables, documents); an empty object when absent.
json arg_object(const json& args, const char* name, bool required);
bool arg_bool(const json& args, const char* name, bool dflt);

/// The collection argument mapped into the principal's namespace.
std::string arg_collection(const call_context& c, const json& args,
                           const char* name);

// the tools in mcp_tools_query.cpp
void tool_aql_query(const context_ptr& c, const json& args, reply_fn done);
void tool_sql_query(const context_ptr& c, const json& args, reply_fn done);
void tool_submit_job(const context_ptr& c, const json& args, reply_fn done);
void tool_job_status(const context_ptr& c, const json& args, reply_fn done);
void tool_job_result(const context_ptr& c, const json& args, reply_fn done);
json tool_recent_changes(call_context& c, const json& args);

/// The tool definitions of mcp_tools_query.cpp, appended to `out`.
void query_tool_definitions(json& out);

} // namespace themis::mcp
